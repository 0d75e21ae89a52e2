"""The cue lexicons: trigger verbs per event type, allegation kinds, policy
instruments and stages, product nouns, hedges.

Every pattern is an alternation of words with bounded gaps (`{0,2}`, `{1,60}`):
no nested unbounded quantifiers, so matching is linear in the sentence length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ---------------------------------------------------------------- launches and products

LAUNCH_TRIGGER = re.compile(
    r"\b(?:launch(?:es|ed|ing)?|introduc(?:e|es|ed|ing)|unveil(?:s|ed|ing)?|releas(?:e|es|ed|ing)"
    r"|debut(?:s|ed|ing)?|announc(?:e|es|ed|ing)|open[- ]?sourc(?:e|es|ed|ing)|roll(?:s|ed|ing)?\s+out"
    r"|ship(?:s|ped|ping)?|unveil)\b",
    re.IGNORECASE,
)
# Triggers that describe the subject's own state ("Grok 3 is rolling out"): the model may precede them.
PASSIVE_BEFORE = re.compile(r"\b(?:is|was|were|are|been|being|has\s+been|have\s+been)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
OPEN_WEIGHTS = re.compile(
    r"\bopen[- ](?:weights?|source[d]?|model)\b|\bweights\s+(?:are|were|is)\s+(?:available|published|released)"
    r"|\b(?:MIT|Apache(?:\s2\.0)?)\s+licen[cs]e|\bon\s+Hugging\s+Face\b|\bopen-sourc",
    re.IGNORECASE,
)
CLOSED_WEIGHTS = re.compile(r"\b(?:proprietary|closed[- ]source|closed[- ]weights?)\b", re.IGNORECASE)
API_ACCESS = re.compile(r"\bAPI\b")
PARAMETERS = re.compile(r"\b(\d+(?:\.\d+)?)\s+(billion|trillion|million)(?:\s+total)?\s+parameters\b", re.IGNORECASE)
# After the trigger, these end the stretch of text that can name what was launched:
# what follows is a comparison, a base model or a clause about something else.
OBJECT_STOP = re.compile(
    r"\b(?:which|that|than|rival\w*|outperform\w*|beat\w*|compar\w*|against|based\s+on|built\s+(?:on|with)"
    r"|powered\s+by|fine-tuned|distilled\s+from|trained\s+on|on\s+par|match\w*|ahead\s+of|behind|successor\s+to"
    r"|versus|vs\.?|said|says|after|before|while|whereas|because|following)\b",
    re.IGNORECASE,
)

# Products: name -> (kind, developer org_id). Only widely known product names; anything
# else is found by its shape ("launched Operator, an agent that ...").
KNOWN_PRODUCTS: dict[str, tuple[str, str]] = {
    "ChatGPT": ("chatbot", "openai"),
    "ChatGPT Enterprise": ("platform", "openai"),
    "GPT Store": ("platform", "openai"),
    "Bard": ("chatbot", "google"),
    "NotebookLM": ("app", "google"),
    "Bing Chat": ("chatbot", "microsoft"),
    "Copilot": ("app", "microsoft"),
    "GitHub Copilot": ("app", "github"),
    "Microsoft Copilot": ("chatbot", "microsoft"),
    "Claude Code": ("agent", "anthropic"),
    "Operator": ("agent", "openai"),
    "Deep Research": ("agent", "openai"),
    "Ernie Bot": ("chatbot", "baidu"),
    "Meta AI": ("chatbot", "meta"),
    "Vision Pro": ("hardware", "apple"),
    "Cursor": ("app", "anysphere"),
    "Devin": ("agent", "cognition-ai"),
}
KNOWN_PRODUCT_RE = re.compile(
    r"(?:" + "|".join(re.escape(n) for n in sorted(KNOWN_PRODUCTS, key=len, reverse=True)) + r")(?![\w-])"
)
PRODUCT_NOUNS: dict[str, str] = {
    "chatbot": "chatbot", "chatbots": "chatbot", "assistant": "chatbot", "assistants": "chatbot",
    "conversational": "chatbot", "chat": "chatbot",
    "app": "app", "apps": "app", "application": "app", "browser": "app", "engine": "app", "extension": "app",
    "programmer": "app", "editor": "app",
    "agent": "agent", "agents": "agent",
    "api": "api",
    "platform": "platform", "service": "platform", "marketplace": "platform", "store": "platform",
    "feature": "feature", "features": "feature", "mode": "feature",
    "device": "hardware", "chip": "hardware", "chips": "hardware", "gpu": "hardware", "processor": "hardware",
    "glasses": "hardware", "headset": "hardware", "phone": "hardware", "robot": "hardware",
    "supercomputer": "hardware", "accelerator": "hardware",
    "subscription": "other", "tool": "other", "tools": "other",
}
# "mobile apps for Le Chat": product nouns, then what they are for.
PRODUCT_FOR = re.compile(r"((?:[a-z\-]+ ){0,2}(?:apps?|applications?|versions?|clients?)) (?:for|of) ")
# After a bare family name: ", its largest and most capable AI model" or " model".
CALLED_A_MODEL = re.compile(r",\s(?:a|an|its|the|their)\s[^,.;:]{0,60}?\bmodels?\b|\s(?:AI\s)?models?\b")
# Words skipped between a trigger and the product's name: "launched a new version of its Bing".
OBJECT_FILLER = frozenset(
    "a an the its their his her our new first latest updated own free an experimental version of early beta "
    "also".split()
)

# ---------------------------------------------------------------- allegations

ALLEGATION_DIRECT = re.compile(
    r"\b(?:accus(?:e|es|ed|ing)|alleg(?:e|es|ed|ing)|su(?:e|es|ed|ing)"
    r"|fil(?:e|es|ed|ing)\s+(?:a\s+|an\s+)?(?:\w+\s+){0,2}?(?:lawsuit|suit|complaint|case)"
    r"|lawsuit\s+against"
    r"|(?:started|launched|began|brought|initiated|took)\s+(?:legal\s+)?(?:proceedings|action|a\s+case)\s+against"
    r"|(?:open(?:s|ed)?|launch(?:es|ed)?|beg(?:an|ins)|start(?:s|ed)?|announc(?:es|ed))\s+(?:a|an)\s+"
    r"(?:\w+\s+){0,2}?(?:investigation|probe|inquiry)\s+into"
    r"|investigat(?:es|ed|ing)|complain(?:s|ed))\b",
    re.IGNORECASE,
)
ALLEGATION_CONCERN = re.compile(
    r"\b(?:rais(?:e|es|ed|ing)|express(?:es|ed|ing)?|voic(?:e|es|ed|ing)|flag(?:s|ged|ging)?|cit(?:e|es|ed|ing))"
    r"\s+(?:\w+\s+){0,2}?concerns?\b",
    re.IGNORECASE,
)
SPEECH = re.compile(
    r"\b(?:said|says|say|claim(?:s|ed)?|contend(?:s|ed)?|argu(?:e|es|ed)|told|warn(?:s|ed)|believ(?:e|es|ed))\b",
    re.IGNORECASE,
)
# Accusatory content that makes a reported statement an allegation.
ACCUSATION = re.compile(
    r"\b(?:distill\w*|stole|stolen|steal\w*|theft|cop(?:ied|ying)|infring\w*|scrap(?:ed|ing)|espionage|hack\w*"
    r"|exfiltrat\w*|breach(?:ed|es|ing)?|violat\w*|misus\w*|smuggl\w*|misappropriat\w*)\b",
    re.IGNORECASE,
)
# In priority order: the first kind whose cue appears wins.
ALLEGATION_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("distillation", r"\bdistill"),
        ("export_violation", r"\bexport[- ]controls?\b|\bsmuggl|\bsanctions?\s+(?:violation|evasion)|\bentity\s+list"),
        ("copyright", r"\bcopyright|\bcop(?:ying|ied)\b|\bpirat|\binfring"),
        ("ip_theft", r"\btrade\s+secrets?|\bintellectual\s+property|\bstole|\bstolen|\btheft\b|\bmisappropriat"),
        ("data_scraping", r"\bscrap(?:e|ed|es|ing)\b|\bcrawl(?:ed|ing|er|ers)\b|\bharvest(?:ed|ing)?\b"),
        (
            "privacy",
            (
                r"\bprivacy|\bpersonal\s+(?:data|information)|\bdata\s+protection|\bbiometric|\bGDPR\b"
                r"|\bwithout\s+(?:their\s+|users'\s+)?consent"
            ),
        ),
        ("security", r"\bespionage|\bhack|\bcyber|\bmalware|\bexfiltrat|\bbackdoor|\bsecurity\b"),
        ("antitrust", r"\bantitrust|\banti-?competitive|\bmonopol|\bcompetition\s+law|\bunfair\s+competition"),
        ("safety", r"\bsafety\b|\bunsafe\b|\bharmful\b|\bsuicide|\bself-harm"),
        ("defamation", r"\bdefam|\blibel"),
        (
            "other",
            (
                r"\bbreach\s+of\s+(?:\w+\s+){0,2}?(?:contract|agreement|duty)|\bfiduciary"
                r"|\bfounding\s+(?:mission|agreement)|\bfraud"
            ),
        ),
    )
)
# An unnamed accused: "some AI developers", "Chinese companies", "a rival".
UNNAMED_PARTY = re.compile(
    r"\b(?:developers?|compan(?:y|ies)|firms?|labs?|laboratories|rivals?|competitors?|start-?ups?|groups?"
    r"|hackers?|actors?|entities|individuals|accounts|organi[sz]ations|operators?|players|someone|others)\b",
    re.IGNORECASE,
)
DENIAL = re.compile(r"\b(?:denie[sd]|deny(?:ing)?|rejected\s+the|dismiss(?:ed|es)|disagree[sd]?)\b", re.IGNORECASE)
INVESTIGATION = re.compile(r"investigat|probe|inquiry", re.IGNORECASE)
SETTLED = re.compile(r"\bsettle[sd]?\b|\bsettlement\b", re.IGNORECASE)
COURT_PHRASE = re.compile(
    r"\b(?:(?:federal|state|district|superior|high|supreme|appeals|regional)\s+){1,2}court"
    r"(?:\s+in\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?"
    r"|\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\s(?:Superior|District|High|Supreme|Regional)\sCourt\b",
    re.IGNORECASE,
)
# "The complaint accuses ...": the subject is the lawsuit already reported.
LAWSUIT_SUBJECT = re.compile(r"\b(?:lawsuit|complaint|suit|filing|petition|claim)\b", re.IGNORECASE)

# ---------------------------------------------------------------- policies

POLICY_TRIGGER = re.compile(
    r"\b(?:"
    r"(?P<proposed>propos(?:es|ed)|draft(?:s|ed)|tabl(?:es|ed)|introduc(?:es|ed))"
    r"|(?P<in_force>(?:took|takes|take|taking)\s+effect|(?:went|goes|go|going)\s+into\s+effect"
    r"|(?:entered|enters|enter|entering)\s+into\s+force|(?:came|comes|come|coming)\s+into\s+force)"
    r"|(?P<amended>amend(?:s|ed)|updat(?:es|ed)|tighten(?:s|ed)|expand(?:s|ed)|revis(?:es|ed)|broaden(?:s|ed))"
    r"|(?P<revoked>revok(?:es|ed)|rescind(?:s|ed)|repeal(?:s|ed)|scrap(?:s|ped)|overturn(?:s|ed)"
    r"|struck\s+down|strikes\s+down)"
    r"|(?P<withdrawn>withdr(?:ew|aws|awn))"
    r"|(?P<listed>add(?:s|ed)?\s[^.;]{1,60}?\sto\s(?:the|its)\s(?:US\s|U\.S\.\s)?[Ee]ntity\s[Ll]ist)"
    r"|(?P<adopted>pass(?:es|ed)|enact(?:s|ed)|adopt(?:s|ed)|approv(?:es|ed)|sign(?:s|ed)|issu(?:es|ed)"
    r"|publish(?:es|ed)|announc(?:es|ed)|impos(?:es|ed)|releas(?:es|ed)|finali[sz](?:es|ed)|unveil(?:s|ed)"
    r"|establish(?:es|ed))"
    r")\b",
    re.IGNORECASE,
)
# Triggers whose instrument is their subject ("The AI Act entered into force").
INTRANSITIVE_STAGES = frozenset({"in_force"})
INSTRUMENT_RE = re.compile(
    r"\b(?:(?P<executive_order>executive\s+orders?)"
    r"|(?P<export_control>export\s+(?:controls?|restrictions?|rules?|curbs|bans?)|entity\s+list)"
    r"|(?P<law>(?-i:Act)|laws?|bills?|legislation|statute)"
    r"|(?P<regulation>regulations?|rules?|interim\s+measures|measures|provisions|directive|decree)"
    r"|(?P<guideline>guidelines?|guidance|codes?\s+of\s+(?:practice|conduct)|advisory|advisories)"
    r"|(?P<standard>standards?)"
    r"|(?P<strategy>strategy|action\s+plan|development\s+plan|plan|roadmap|blueprint|white\s+paper)"
    r"|(?P<treaty>treaty|convention|accord|declaration)"
    r"|(?P<other>(?-i:Framework)))\b"
    r"|(?P<bill>\b(?-i:SB|AB|HB|S\.|H\.R\.|HR)\s?\d{1,5}\b)",
    re.IGNORECASE,
)
# Capitalized words that can end (or start) a named instrument: "AI Act", "Executive Order 14110".
TITLE_HEADS = frozenset(
    "act law bill order rule rules regulation regulations measures provisions directive decree guidelines guidance "
    "advisory "
    "code standard standards strategy plan framework convention treaty declaration accord list".split()
)
TITLE_CONNECTORS = frozenset("of for the on and in to de".split())
TITLE_PHRASE_PREPOSITIONS = frozenset("on for against targeting covering governing restricting over".split())
DRAFT = re.compile(r"\b(?:draft|proposal|proposed)\b", re.IGNORECASE)
POLICY_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern, re.IGNORECASE))
    for topic, pattern in (
        ("semiconductors", r"\bchips?\b|semiconductor|chipmaking|\bGPUs?\b|gallium|germanium"),
        ("export_controls", r"\bexport"),
        ("generative_ai", r"\bgenerative\b"),
        ("frontier_models", r"\bfrontier\b|most powerful models|general-purpose"),
        ("safety", r"\bsafety\b|\bsafe\b"),
        ("privacy", r"\bprivacy\b|personal data"),
        ("copyright", r"\bcopyright"),
    )
)

# ---------------------------------------------------------------- shared guards

MODALS = frozenset("will would could may might should must shall can cannot to 'll wo".split())
NEGATIONS = frozenset("not never no n't nor".split())
ADVERBS = frozenset(
    "also soon then quickly formally officially now finally reportedly publicly quietly recently just already first "
    "again still itself further previously subsequently".split()
)
# Words before a trigger that make it a noun: "the release", "a launch", "new releases".
NOUN_DETERMINERS = frozenset(
    "the a an its their this that these those new latest first recent wider upcoming planned model product public "
    "initial official his her our whose each every any such next".split()
)
COREFERENT_SUBJECT = re.compile(
    r"\b(?:company|firm|start-?up|lab|laboratory|group|giant|maker|developer|team|it|they|we|agency|regulator"
    r"|watchdog|authority)\b",
    re.IGNORECASE,
)
OFFICE_TITLE = re.compile(r"\b(?:President|Governor|Gov\.|Premier|Prime\s+Minister|Chancellor|Secretary)\s+$")
# Between a jurisdiction and a person: "China's President", "California Governor", "'s".
OFFICE_GAP = re.compile(
    r"(?:['\u2019]s)?\s*(?:(?:President|Governor|Gov\.|Premier|Prime\s+Minister|Chancellor|Secretary|Mayor)\s*)?"
)

# ---------------------------------------------------------------- cheap pre-check


@dataclass(frozen=True)
class TriggerWords:
    """Lowercase word forms one of which every trigger of a family contains.

    A detector names the groups it needs (`Detector.needs`); a sentence with no word of
    a group is not searched with that detector's regexes, which is most sentences of most
    articles. Detectors that share a group share this object (its `name` identifies it).
    """

    name: str
    words: frozenset[str]
    # Stems matched as prefixes ("distilled", "hacking", "infringes").
    prefixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, words: str, prefixes: tuple[str, ...] = ()) -> TriggerWords:
        return cls(name, frozenset(words.split()), prefixes)


LAUNCH_WORDS = TriggerWords.of(
    "launch",
    """launch launches launched launching introduce introduces introduced introducing unveil unveils
    unveiled unveiling release releases released releasing debut debuts debuted debuting announce announces
    announced announcing open opensource opensourced sourced sources source roll rolls rolled rolling ship ships
    shipped shipping""",
)
ALLEGATION_WORDS = TriggerWords.of(
    "allegation",
    """accuse accuses accused accusing allege alleges alleged alleging sue sues sued suing file files
    filed filing lawsuit proceedings action case investigation probe inquiry investigates investigated
    investigating complain complains complained concern concerns stole stolen theft copied copying scraped
    scraping espionage""",
    # Accusatory stems (`ACCUSATION`): a reported statement with one of them is an allegation.
    prefixes=("distill", "steal", "infring", "hack", "exfiltrat", "breach", "violat", "misus", "smuggl", "misappropriat"),
)
POLICY_WORDS = TriggerWords.of(
    "policy",
    """propose proposes proposed draft drafts drafted table tables tabled introduce introduces introduced
    effect force amend amends amended update updates updated tighten tightens tightened expand expands expanded
    revise revises revised broaden broadens broadened revoke revokes revoked rescind rescinds rescinded repeal
    repeals repealed scrap scraps scrapped overturn overturns overturned struck strikes withdrew withdraws
    withdrawn add adds added pass passes passed enact enacts enacted adopt adopts adopted approve approves
    approved sign signs signed issue issues issued publish publishes published announce announces announced
    impose imposes imposed release releases released finalize finalizes finalized finalise finalises finalised
    unveil unveils unveiled establish establishes established""",
)
INSTRUMENT_WORDS = TriggerWords.of(
    "instrument",
    """order orders export entity act law laws bill bills legislation statute regulation regulations
    rule rules interim measures provisions directive decree guideline guidelines guidance code codes advisory
    advisories standard standards strategy plan roadmap blueprint treaty convention accord declaration framework
    paper sb ab hb hr h""",
)
