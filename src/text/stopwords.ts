/**
 * NLTK's English stopword list (179 entries) without its 26 apostrophe forms and without "don" and "won".
 * NLTK keeps "don"/"won" only because its tokenizer splits "don't"/"won't" at the apostrophe; our analyzer drops
 * whole n't-contractions instead, so "Don" the name and "won" the verb stay searchable. Apostrophe forms
 * ("you're") are not needed: the analyzer strips contraction suffixes before it looks words up here.
 */
const WORDS = `
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
it its itself they them their theirs themselves what which who whom this that these those am is are was were be
been being have has had having do does did doing a an the and but if or because as until while of at by for with
about against between into through during before after above below to from up down in out on off over under again
further then once here there when where why how all any both each few more most other some such no nor not only own
same so than too very s t can will just should now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn
ma mightn mustn needn shan shouldn wasn weren wouldn`;

export const STOPWORDS: ReadonlySet<string> = new Set(WORDS.split(/\s+/).filter(Boolean));
