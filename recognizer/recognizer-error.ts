export type RecognizerErrorCode =
  | 'MODEL_MANIFEST_INVALID'
  | 'MODEL_MISSING'
  | 'MODEL_ALTERED'
  | 'MODEL_SHAPE_MISMATCH'
  | 'MODEL_LOAD_FAILED'
  | 'IMAGE_CORRUPT'
  | 'IMAGE_UNSUPPORTED'
  | 'IMAGE_INVALID'
  | 'WORKER_FAILED'
  | 'POOL_CLOSED'
  | 'POOL_BUSY';

/** A recognizer failure with a stable code; messages name the file, model or image concerned. */
export class RecognizerError extends Error {
  constructor(
    readonly code: RecognizerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RecognizerError';
  }
}
