using System.Buffers.Binary;
using System.Diagnostics;
using SkiaSharp;
using TransferLearning.Data;

namespace TransferLearning.Tests.Data;

/// <summary>Files a careless or hostile user can point the decoder at: pipes, devices, sparse giants, pixel bombs, damaged PNGs.</summary>
public sealed class HostileFilesTests : IDisposable
{
    private readonly TestImages images = new();

    public void Dispose() => images.Dispose();

    /// <summary>Runs <paramref name="action"/> on another thread; a hang fails the test instead of the run.</summary>
    internal static T WithTimeout<T>(Func<T> action, int seconds = 30, Action? unblock = null)
    {
        var task = Task.Run(action);
        if (!task.Wait(TimeSpan.FromSeconds(seconds)))
        {
            unblock?.Invoke();
            Assert.Fail($"did not finish within {seconds} s (hang)");
        }

        return task.Result;
    }

    internal static void MakeFifo(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("mkfifo", new[] { path }) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>Opens the FIFO for writing once, which releases a reader blocked in open().</summary>
    internal static void ReleaseFifo(string path) => Task.Run(() =>
    {
        using var writer = new FileStream(path, FileMode.Open, FileAccess.Write);
    });

    private static ImageDecodeException DecodeFails(string path, ImageDecodeOptions? options = null, Action? unblock = null) =>
        WithTimeout(() => Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path, options).Dispose()), unblock: unblock);

    [Fact]
    public void Decode_NamedPipeCalledPng_FailsAsNotARegularFileWithoutHanging()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // named pipes in the file system are a Unix feature
        }

        var fifo = images.PathOf("cls/x.png");
        MakeFifo(fifo);

        var error = DecodeFails(fifo, unblock: () => ReleaseFifo(fifo));

        Assert.Equal(BadFileReason.NotARegularFile, error.Reason);
        Assert.Contains("named pipe", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_LinkToDevZeroCalledJpg_FailsAsNotARegularFileWithoutReading()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // needs /dev/zero
        }

        var link = images.PathOf("cls/x.jpg");
        File.CreateSymbolicLink(link, "/dev/zero");
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var error = DecodeFails(link);

        Assert.Equal(BadFileReason.NotARegularFile, error.Reason);
        Assert.Contains("character device", error.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16 << 20, "the device must not be read");
    }

    [Fact]
    public void Decode_SparseFileAboveSizeCap_IsRefusedAsTooLargeWithoutReading()
    {
        var path = images.PathOf("cls/sparse.png");
        using (var stream = new FileStream(path, FileMode.Create))
        {
            stream.SetLength(300L << 20);
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = DecodeFails(path);

        Assert.Equal(BadFileReason.TooLarge, error.Reason);
        Assert.Contains("MaxFileBytes", error.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16 << 20, "the file must not be read");
    }

    [Fact]
    public void Decode_FileAboveACustomCap_IsRefused()
    {
        using var bitmap = TestImages.Pattern(64, 64, 1);
        var path = images.Write("cls/a.png", TestImages.Png(bitmap));

        var error = DecodeFails(path, new ImageDecodeOptions { MaxFileBytes = 100 });

        Assert.Equal(BadFileReason.TooLarge, error.Reason);
    }

    [Fact]
    public void Decode_EndlessStream_IsRefusedAtTheSizeCap()
    {
        var error = WithTimeout(() => Assert.Throws<ImageDecodeException>(
            () => ImageDecoder.Decode(new EndlessStream(), new ImageDecodeOptions { MaxFileBytes = 1 << 20 }).Dispose()));

        Assert.Equal(BadFileReason.TooLarge, error.Reason);
    }

    [Fact]
    public void Decode_Gif30000Square_IsRefusedBeforeAllocatingTheFrame()
    {
        var path = images.Write("cls/huge.gif", SolidGif(30000, 30000));
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var error = DecodeFails(path);

        Assert.Equal(BadFileReason.TooLarge, error.Reason);
        Assert.Contains("GIF", error.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16 << 20);
    }

    [Fact]
    public void Decode_SmallGif_StillDecodes()
    {
        var path = images.Write("cls/small.gif", SolidGif(400, 300));

        using var bitmap = ImageDecoder.Decode(path);

        Assert.Equal(400, bitmap.Width);
        Assert.Equal(300, bitmap.Height);
        Assert.Equal(SKColors.Red, bitmap.GetPixel(399, 299));
    }

    [Fact]
    public void Decode_ProgressiveJpeg30000Square_IsRefusedWithinThePixelBudget()
    {
        var path = images.Write("cls/huge.jpg", ProgressiveJpegHeader(30000, 30000));

        var error = DecodeFails(path);

        Assert.Equal(BadFileReason.TooLarge, error.Reason);
        Assert.Contains("progressive JPEG", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_PngWithWrongHeaderCrc_IsReportedAsDamagedNotTruncated()
    {
        using var bitmap = TestImages.Pattern(32, 32, 2);
        var png = TestImages.Png(bitmap);
        png[29] ^= 0xFF; // the IHDR chunk's CRC
        var path = images.Write("cls/crc.png", png);

        var error = DecodeFails(path);

        Assert.Equal(BadFileReason.Corrupt, error.Reason);
        Assert.Contains("CRC", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("truncated", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Decode_PngCutInHalf_IsStillReportedAsTruncated()
    {
        using var bitmap = TestImages.Pattern(64, 64, 3);
        var png = TestImages.Png(bitmap);
        var path = images.Write("cls/cut.png", png[..(png.Length / 2)]);

        var error = DecodeFails(path);

        Assert.Equal(BadFileReason.Truncated, error.Reason);
    }

    [Fact]
    public void Decode_BrokenLink_SaysItIsABrokenLink()
    {
        var link = images.PathOf("cls/broken.png");
        File.CreateSymbolicLink(link, images.PathOf("nowhere/none.png"));

        var error = DecodeFails(link);

        Assert.Equal(BadFileReason.Unreadable, error.Reason);
        Assert.Contains("broken link", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A valid single-colour GIF of the given size: the LZW stream grows its run codes to 12 bits and then repeats the
    /// longest (about 330 KB for 30000x30000; SkiaSharp decodes such a file at full size, 3.4 GiB).
    /// </summary>
    internal static byte[] SolidGif(int width, int height)
    {
        var data = new List<byte>();
        long acc = 0;
        var bits = 0;
        void Emit(int code, int size)
        {
            acc |= (long)code << bits;
            bits += size;
            while (bits >= 8)
            {
                data.Add((byte)acc);
                acc >>= 8;
                bits -= 8;
            }
        }

        var total = (long)width * height;
        int codeSize = 3, next = 6;
        Emit(4, codeSize); // clear
        long position = 0;
        while (position < total)
        {
            // Entry e >= 6 is a run of e - 4 pixels; the longest entry known is next - 1.
            var length = position == 0 ? 1 : (int)Math.Min(next - 1 - 4, total - position);
            Emit(length == 1 ? 0 : length + 4, codeSize);
            position += length;
            if (position < total && next < 4096)
            {
                next++;
                if (next - 1 == 1 << codeSize && codeSize < 12)
                {
                    codeSize++;
                }
            }
        }

        Emit(5, codeSize); // end of information
        if (bits > 0)
        {
            data.Add((byte)acc);
        }

        var bytes = new List<byte>();
        bytes.AddRange("GIF89a"u8.ToArray());
        bytes.AddRange(BitConverter.GetBytes((ushort)width));
        bytes.AddRange(BitConverter.GetBytes((ushort)height));
        bytes.AddRange(new byte[] { 0xF1, 0, 0 });
        bytes.AddRange(new byte[] { 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255 });
        bytes.Add(0x2C);
        bytes.AddRange(new byte[] { 0, 0, 0, 0 });
        bytes.AddRange(BitConverter.GetBytes((ushort)width));
        bytes.AddRange(BitConverter.GetBytes((ushort)height));
        bytes.AddRange(new byte[] { 0, 2 });
        for (var i = 0; i < data.Count; i += 255)
        {
            var n = Math.Min(255, data.Count - i);
            bytes.Add((byte)n);
            bytes.AddRange(data.Skip(i).Take(n));
        }

        bytes.AddRange(new byte[] { 0, 0x3B });
        return bytes.ToArray();
    }

    /// <summary>The markers of a progressive (SOF2) 3-component JPEG up to its first scan, claiming the given size.</summary>
    private static byte[] ProgressiveJpegHeader(int width, int height)
    {
        var b = new List<byte> { 0xFF, 0xD8 };
        b.AddRange(new byte[] { 0xFF, 0xDB, 0x00, 0x43, 0x00 });
        b.AddRange(Enumerable.Repeat((byte)1, 64));
        b.AddRange(new byte[] { 0xFF, 0xC2, 0x00, 0x11, 0x08 });
        var size = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(size, (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(size.AsSpan(2), (ushort)width);
        b.AddRange(size);
        b.AddRange(new byte[] { 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00 });
        // A DC Huffman table with one 1-bit code (category 0).
        b.AddRange(new byte[] { 0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01 });
        b.AddRange(new byte[15]);
        b.Add(0x00);
        b.AddRange(new byte[] { 0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00 });
        b.AddRange(new byte[] { 0x00, 0x00, 0xFF, 0xD9 });
        return b.ToArray();
    }

    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
