// The WOZ 2.0 restaurant ontology's informable slot values (ontology_dstc2_en.json, Apache-2.0, from
// nmrksic/neural-belief-tracker): a small copy so `bertchat chat` tracks state without ../shared.
// A unit test checks it against the shared file. Slot names keep WOZ's spelling ('price range').

export const WOZ_SLOTS = ['food', 'area', 'price range'] as const;
export type WozSlot = (typeof WOZ_SLOTS)[number];

export const WOZ_VALUES: Record<WozSlot, readonly string[]> = {
  area: ["centre", "north", "west", "south", "east"],
  'price range': ["cheap", "moderate", "expensive"],
  // prettier-ignore
  food: ["afghan", "african", "afternoon tea", "asian oriental", "australasian", "australian", "austrian", "barbeque", "basque", "belgian", "bistro", "brazilian", "british", "canapes", "cantonese", "caribbean", "catalan", "chinese", "christmas", "corsica", "creative", "crossover", "cuban", "danish", "eastern european", "english", "eritrean", "european", "french", "fusion", "gastropub", "german", "greek", "halal", "hungarian", "indian", "indonesian", "international", "irish", "italian", "jamaican", "japanese", "korean", "kosher", "latin american", "lebanese", "light bites", "malaysian", "mediterranean", "mexican", "middle eastern", "modern american", "modern eclectic", "modern european", "modern global", "molecular gastronomy", "moroccan", "new zealand", "north african", "north american", "north indian", "northern european", "panasian", "persian", "polish", "polynesian", "portuguese", "romanian", "russian", "scandinavian", "scottish", "seafood", "singaporean", "south african", "south indian", "spanish", "sri lankan", "steakhouse", "swedish", "swiss", "thai", "the americas", "traditional", "turkish", "tuscan", "unusual", "vegetarian", "venetian", "vietnamese", "welsh", "world"],
};

/** WOZ's value for "the user has no preference". */
export const DONTCARE = 'dontcare';
