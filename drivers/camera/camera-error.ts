/** Stable codes so callers and tests can tell failures apart without parsing messages. */
export type CameraErrorCode =
  | 'CAMERA_OPEN_FAILED'
  | 'CAMERA_READ_FAILED'
  | 'CAMERA_NOT_FOUND'
  | 'PIPELINE_INVALID'
  | 'IMAGE_UNREADABLE'
  | 'IMAGE_CORRUPT'
  | 'SOURCE_EMPTY'
  | 'SOURCE_CLOSED';

export class CameraError extends Error {
  constructor(
    readonly code: CameraErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CameraError';
  }
}
