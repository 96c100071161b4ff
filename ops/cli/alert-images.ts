/**
 * `--save-images` for `sightline alerts` (the device) and `sightline hub alerts` (central): an
 * alert's plate crop and full frame as `<id>-crop.jpg` and `<id>-frame.jpg`, so an officer can
 * compare them by eye. Plate images are ALPR data: the folder is made 0700, each file 0600, even
 * a file that was there with a wider mode.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { makePrivate } from '../../firmware/store/private-file';
import { CliError } from './cli-error';

/** Where one alert's images went. */
export interface SavedImages {
  crop: string;
  /** Null when the alert kept no frame. */
  frame: string | null;
}

/** The folder for the images, made when missing. @throws CliError naming it when it cannot be. */
export function imageFolder(dir: string): string {
  const folder = path.resolve(dir);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CliError(`--save-images: cannot create ${folder}: ${(err as Error).message}`);
  }
  return folder;
}

/** Writes the crop and (when kept) the frame of the alert on read `id` into `folder`. */
export function saveAlertImages(folder: string, id: string, crop: Buffer, frame: Buffer | null): SavedImages {
  // Ids come from the pipeline (UUIDs) or from a device: nothing in one may leave the folder.
  const name = id.replace(/[^A-Za-z0-9_-]/g, '_');
  return {
    crop: writePrivateFile(path.join(folder, `${name}-crop.jpg`), crop),
    frame: frame === null ? null : writePrivateFile(path.join(folder, `${name}-frame.jpg`), frame),
  };
}

/** Made private before a byte is written, so no other account can read it even for a moment. */
function writePrivateFile(file: string, bytes: Buffer): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'w', 0o600);
    makePrivate(fd);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  } catch (err) {
    throw new CliError(`--save-images: cannot write ${file}: ${(err as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return file;
}
