/**
 * The finder's plates are read by four plate OCR models of the same network: the one trained on
 * whole plates too, the one trained on character lines only, and the first one's recipe from
 * seeds 7 and 11. Their errors differ, so where one misreads a character the others' views
 * outvote it. Chosen by exact plates outside the held-out parts (the selection crops, the dev
 * photos' training half as-is and at half size, 161 plates), by rules written before the runs:
 * the first three 146 (every subset of them was tried: best pair 144, best single 142); with
 * seed 11 added 149, seed 11 in place of one of the three 148, 148 and 147. The first three
 * settle a plate (plate-reader SETTLING_PLATE_OCRS); seed 11 reads only plates they leave in
 * doubt, which reads the same 161 plates and keeps a settled plate's OCR time. Each model costs
 * about 0.27 ms per view (one thread). `recognizer.plateOcrModels` reads with the first N. Their
 * views vote by CTC probability, so they must share one charset. A module of its own, without
 * native imports, so the config schema bounds that option by this list.
 */
export const FOUND_PLATE_OCR_MODELS = ['plateOcr', 'plateOcrLines', 'plateOcrSeed7', 'plateOcrSeed11'];
