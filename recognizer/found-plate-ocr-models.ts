/**
 * The finder's plates are read by three plate OCR models of the same network: the one trained on
 * whole plates too, the earlier one trained on character lines only, and the first one's recipe
 * from another seed. Their errors differ, so where one misreads a character the others' views
 * outvote it. The first two: on the dev photos' held-out half, 50 plates of 63 exact with both
 * against 45 with either alone (before format rules, with the earlier agreement vote). The third,
 * chosen by a rule fixed before it was trained (held-out crops first): held-out crops 0.9527
 * top1 as with two, topN 0.9865 -> 0.9932; dev photos' held-out half 0.7937 -> 0.8095 top1,
 * 0.873 -> 0.9048 topN. It costs 0.46 ms per view and leaves more plates in doubt (read in bands
 * too): OCR per dev photo 6.2 -> 10.4 ms, per crop 1.95 -> 2.89 ms (medians, 2-core machine).
 * `recognizer.plateOcrModels` reads with the first N. Their views vote by CTC probability, so
 * they must share one charset. A module of its own, without native imports, so the config schema
 * bounds that option by this list.
 */
export const FOUND_PLATE_OCR_MODELS = ['plateOcr', 'plateOcrLines', 'plateOcrSeed7'];
