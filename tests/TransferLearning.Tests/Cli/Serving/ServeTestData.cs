using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using SkiaSharp;
using TransferLearning.Persistence;
using TransferLearning.Tests.Persistence;

namespace TransferLearning.Tests.Cli.Serving;

/// <summary>A small saved model (ResNet18 cut after layer1, 32 px, 3 classes) and upload files for the <c>tl serve</c> tests.</summary>
public sealed class ServeTestData : IDisposable
{
    public ServeTestData()
    {
        Root = Directory.CreateTempSubdirectory("tl-serve-").FullName;
        Model = Path.Combine(Root, "tiny.tlm");
        using (var model = TestModels.TinyResNet(classes: 3, seed: 5))
        {
            TransferModelFile.Save(model, Model, new ModelMetadata
            {
                Description = "tiny test model",
                Metrics = new Dictionary<string, double> { ["val_accuracy"] = 0.75 },
            });
        }

        GoodPng = Write("good.png", EncodePng(64, 48, seed: 3));
        GoodJpeg = Write("good.jpg", Encode(64, 48, seed: 4, SKEncodedImageFormat.Jpeg));
        var png = File.ReadAllBytes(GoodPng);
        Truncated = Write("truncated.png", png[..(png.Length / 2)]);
        NotAnImage = Write("notes.png", "<html>this is not an image</html>\n"u8.ToArray());
        HugePng = Write("huge.png", HugeBlankPng(30000, 30000));
    }

    public string Root { get; }

    public string Model { get; }

    public string GoodPng { get; }

    public string GoodJpeg { get; }

    public string Truncated { get; }

    public string NotAnImage { get; }

    /// <summary>A valid 30000 x 30000 1-bit PNG (900 million pixels) of about 110 KB: a decompression bomb.</summary>
    public string HugePng { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static byte[] EncodePng(int width, int height, int seed) => Encode(width, height, seed, SKEncodedImageFormat.Png);

    private static byte[] Encode(int width, int height, int seed, SKEncodedImageFormat format)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            using var paint = new SKPaint { Color = new SKColor((byte)random.Next(256), 60, (byte)random.Next(256)), IsAntialias = true };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>A real, valid PNG of the given size: 1-bit greyscale, all black, deflated (about 110 KB for 30000 x 30000).</summary>
    private static byte[] HugeBlankPng(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + ((width + 7) / 8)];
            for (var y = 0; y < height; y++)
            {
                z.Write(row);
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 1; // bit depth
        header[9] = 0; // greyscale
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
