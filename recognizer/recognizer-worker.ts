/**
 * Entry point of one recognizer worker thread: loads OpenCV and the models once, then reads
 * frames one at a time as the pool sends them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PlateReader } from './plate-reader';
import { RecognizerError } from './recognizer-error';
import type { FromWorker, ToWorker, WorkerErrorInfo, WorkerInit } from './worker-protocol';
import { imageBytes, reviveImage, transferable } from './worker-protocol';

function errorInfo(err: unknown): WorkerErrorInfo {
  if (err instanceof RecognizerError) return { code: err.code, message: err.message };
  return { code: 'WORKER_FAILED', message: err instanceof Error ? err.message : String(err) };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('recognizer-worker must run as a worker thread');
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const init = workerData as WorkerInit;
  let reader: PlateReader;
  try {
    reader = await PlateReader.load(init.reader);
    await reader.warmUp();
  } catch (err) {
    post({ type: 'startFailed', error: errorInfo(err) });
    return;
  }
  port.on('message', async (message: ToWorker) => {
    try {
      const image = reviveImage(message.image);
      const result = await reader.read(image, { gate: message.gate });
      const bytes = imageBytes(image);
      // Asked for, a frame with candidates goes back (transferred, no copy): a hotlist hit needs it as evidence.
      if (message.returnImage && result.candidates.length > 0) {
        post({ type: 'result', id: message.id, result: { ...result, image } }, transferable(bytes));
      } else if (message.returnPixels) {
        // Otherwise the pixels still go home, for the camera to write a later frame into.
        post({ type: 'result', id: message.id, result, spare: bytes }, transferable(bytes));
      } else {
        post({ type: 'result', id: message.id, result });
      }
    } catch (err) {
      post({ type: 'error', id: message.id, error: errorInfo(err) });
    }
  });
  post({ type: 'ready' });
}

void main();
