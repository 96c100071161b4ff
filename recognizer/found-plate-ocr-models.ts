/**
 * The finder's plates are read by three plate OCR models of the same network: the one trained on
 * whole plates too, the one trained on character lines only, and the first one's recipe from
 * another seed. Their errors differ, so where one misreads a character the others' views outvote
 * it. Chosen among every non-empty subset of the three by exact plates outside the held-out
 * parts (the selection crops, the dev photos' training half as-is and at half size): all three
 * 146 of 161, the best pair 144, the first two 143, the best single 142. Each model costs about
 * 0.27 ms per view (one thread). `recognizer.plateOcrModels` reads with the first N. Their views
 * vote by CTC probability, so they must share one charset. A module of its own, without native
 * imports, so the config schema bounds that option by this list.
 */
export const FOUND_PLATE_OCR_MODELS = ['plateOcr', 'plateOcrLines', 'plateOcrSeed7'];
