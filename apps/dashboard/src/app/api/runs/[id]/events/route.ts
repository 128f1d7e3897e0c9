import { sessionOr401 } from '../../../../../server/auth';
import { ServiceCallError, trainer } from '../../../../../server/grpc';

const HEARTBEAT_MS = 15_000;

/**
 * The run's progress as Server-Sent Events: WatchRun from the trainer, one `data:` line of JSON per event,
 * an `end` event when the run is over, an `error` event if the trainer fails. Closing the page cancels
 * the gRPC stream.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const session = await sessionOr401();
  if (session instanceof Response) return session;
  const { id } = await params;
  const abort = new AbortController();
  request.signal.addEventListener('abort', () => abort.abort(), { once: true });
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (!abort.signal.aborted) controller.enqueue(encoder.encode(text));
      };
      const heartbeat = setInterval(() => send(': keep-alive\n\n'), HEARTBEAT_MS);
      try {
        for await (const event of trainer.watchRun(id, abort.signal))
          send(`data: ${JSON.stringify(event)}\n\n`);
        send('event: end\ndata: {}\n\n');
      } catch (error) {
        const message =
          error instanceof ServiceCallError
            ? error.message
            : `watching run ${id} failed: ${(error as Error).message}`;
        send(`event: failure\ndata: ${JSON.stringify({ message })}\n\n`);
      } finally {
        clearInterval(heartbeat);
        if (!abort.signal.aborted) controller.close();
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(body, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    },
  });
}
