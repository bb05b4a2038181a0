using System.Net;
using System.Net.Sockets;

namespace TransferLearning.Tests.Weights;

/// <summary>An <see cref="HttpListener"/> on 127.0.0.1 at a free port serving scripted responses; no external addresses.</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Func<HttpListenerContext, Task> handler;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private int requests;

    public LoopbackServer(Func<HttpListenerContext, CancellationToken, Task> handle)
    {
        int port = FreePort();
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(BaseUri.ToString());
        listener.Start();
        handler = context => handle(context, stop.Token);
        loop = Task.Run(AcceptLoop);
    }

    public Uri BaseUri { get; }

    public int Requests => Volatile.Read(ref requests);

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
        stop.Dispose();
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptLoop()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref requests);
            _ = Task.Run(async () =>
            {
                try
                {
                    await handler(context).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
                {
                    // The client went away (cancelled, timed out): expected in these tests.
                }
            });
        }
    }
}
