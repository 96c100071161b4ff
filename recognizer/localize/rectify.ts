import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../../drivers/opencv');
import type { Quad } from '../../drivers/camera/geometry';

/**
 * Cuts a quad (top-left, top-right, bottom-right, bottom-left) out of an image and warps it to a
 * width x height rectangle; pixels outside the image repeat its edge.
 */
export function rectifyQuad(image: Mat, quad: Quad, width: number, height: number): Mat {
  const src = quad.map((p) => new cv.Point2(p.x, p.y));
  const dst = [new cv.Point2(0, 0), new cv.Point2(width - 1, 0), new cv.Point2(width - 1, height - 1), new cv.Point2(0, height - 1)];
  return image.warpPerspective(cv.getPerspectiveTransform(src, dst), new cv.Size(width, height), cv.INTER_LINEAR, cv.BORDER_REPLICATE);
}
