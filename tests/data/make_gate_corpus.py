"""Build ``tests/data/gate_corpus.jsonl``, the labelled corpus the metadata gate is measured on (issue 12).

Run ``python tests/data/make_gate_corpus.py`` after editing; the JSONL is committed. Every case is one row:
``{"id", "code", "caption", "alt", "keywords", "context"}`` where ``code`` is null for clean text and otherwise the
ONE reason code the single defect must raise. Clean rows come from ``gate_corpus_clean.txt`` (human-written captions
across subjects, places, seasons and styles, with hard negatives for every rule). A bad case is a clean row with
exactly one defect put in: the defect texts below are written for this corpus, independently of the gate's own phrase
lists, in the many shapes model output takes (a family per code, not one string).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CAMERAS = ["Canon EOS R5", "NIKON Z 6_2", "ILCE-7M4", "X-T5", "", "iPhone 14 Pro"]
CAMERA_TOKEN = {"Canon EOS R5": "Canon", "NIKON Z 6_2": "Nikon", "ILCE-7M4": "Sony", "X-T5": "Fujifilm", "": "Camera",
                "iPhone 14 Pro": "iPhone"}


@dataclass
class Row:
    subject: str
    location: str
    folder: str
    hour: int | None
    caption: str
    alt: str
    keywords: list[str]
    n: int
    extra: dict = field(default_factory=dict)

    def context(self) -> dict:
        camera = CAMERAS[self.n % len(CAMERAS)]
        stem = "_".join(p.replace(" ", "-").replace("'", "") for p in (self.subject, self.location, self.folder))
        month = 1 + self.n % 12
        ctx = {
            "subject": self.subject, "location": self.location, "folder": self.folder, "camera": camera,
            "file_name": f"{stem}_Photography_{CAMERA_TOKEN[camera]}_2024_{self.n % 40 + 1:03d}.JPG "
                         f"{'DSC' if self.n % 2 else 'IMG'}_{4000 + self.n}.JPG",
            "exif_datetime": "" if self.hour is None else f"2024:{month:02d}:{1 + self.n % 28:02d} {self.hour:02d}:{(7 * self.n) % 60:02d}:11",
        }
        ctx.update(self.extra)
        return ctx


def clean_rows() -> list[Row]:
    rows = []
    for line in (HERE / "gate_corpus_clean.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        subject, location, folder, hour, caption, alt, kws = (p.strip() for p in line.split("|"))
        rows.append(Row(subject, location, folder, None if hour == "-" else int(hour), caption, alt,
                        [k.strip() for k in kws.split(";")], len(rows)))
    return rows


def lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if text[:2] != text[:2].upper() else text


def strip_stop(text: str) -> str:
    return text.rstrip(".!?")


# ---------------------------------------------------------------- defect families (one code each)

OPENERS = ["A photo of {c}", "This image shows {c}", "Here we see {c}", "An image showing {c}",
           "A beautiful shot of {c}", "This photograph captures {c}", "A stunning photo of {c}",
           "In this picture, {c}", "The photo depicts {c}", "Pictured here: {c}", "This shot shows {c}",
           "A lovely snapshot of {c}", "Captured in this image: {c}", "What we have here is {c}"]
PRAISE = ["{s}, a truly breathtaking sight.", "{s} in all its glory.", "{s}, a feast for the eyes.",
          "{s}, simply stunning.", "{s} - an absolutely magnificent view.", "{s}, a sight to behold.",
          "{s}, a real treat for nature lovers.", "{s}, breathtakingly beautiful.", "{s}, a jaw-dropping moment.",
          "{s}, an awe-inspiring scene."]
MOOD = ["{s}, evoking a sense of calm.", "{s}, creating a serene atmosphere.", "{s}, which evokes a feeling of peace.",
        "{s} in a tranquil atmosphere.", "{s}, giving the scene a peaceful ambience.",
        "{s}, a scene that evokes nostalgia.", "{s}, adding a touch of magic.", "{s}, creating a dreamy mood.",
        "{s}, lending the moment a sense of wonder.", "{s}, radiating a calm and serene vibe."]
COMPOSITION = ["{s}, showcasing the vibrant colours.", "{s}, which draws the eye to the centre.",
               "{s}, with a pleasing background blur.", "{s}, perfectly framed by the rule of thirds.",
               "{s}, the leading lines pulling the viewer in.", "{s}, set against a soft bokeh.",
               "{s}, highlighting the textures in sharp detail.", "{s}, beautifully composed with depth of field.",
               "{s}, with the composition drawing your eye to the horizon.", "{s}, in a well-balanced composition."]
TECH = ["{s}, shot at f/2.8.", "{s} (ISO 3200).", "{s}, 1/500 s at f/8.", "{s}, taken with a 400mm lens.",
        "{s}, frame 17 of 40.", "{s} #042.", "{s} (rev 3).", "{s} - edit_final2.", "{s}, captured on a NIKON Z9.",
        "{s}, photographed with a sony a7 iv.", "{s}, shot on an iphone 15 pro.", "{s} at 1/2000 sec.",
        "{s}, f4, ISO 400, 200 mm.", "{s}, image 3/12 of the series.", "{s} (v2 edit).", "{s}, EF 70-200mm f/2.8L.",
        "{s}, DSC_0423.", "{s}, shot 5 of 9.", "{s}, Canon eos r6 at 35mm.", "{s}, exposure 1/60 at f5.6.",
        "{s}, no. 0187 in the sequence.", "{s}, fujifilm x-t4.", "{s}, iso100.", "{s}, Sony ILCE-7RM5 at 24mm."]
# a second wave, written after the rules, to see whether they generalise (kept: they are part of the corpus)
FILLER_2 = ["Take a look at {c}", "Behold: {c}", "An incredible image capturing {c}", "{s}, making for a truly unforgettable sight.",
            "{s} - nature at its finest.", "{s}, a picture-perfect moment.", "{s}, exuding a sense of tranquility.",
            "{s}; the atmosphere is calm and peaceful.", "{s}, which evokes memories of summer.",
            "{s}, offering a glimpse into local life.", "{s}, the perfect blend of nature and culture.",
            "{s}, a scene straight out of a postcard.", "{s}, with the subject sharply in focus.",
            "{s}, the shallow focus isolating the subject.", "{s}; the vivid colours pop against the background.",
            "{s}, captured in stunning detail.", "Enjoy this view: {c}", "{s} - an unmissable sight for any visitor.",
            "A dramatic long-exposure shot of {c}"]
HEDGES_2 = ["{s}, though it is difficult to be certain.", "{s}, if I'm not mistaken.", "Presumably {c}",
            "{s}, conceivably.", "{s}, apparently.", "{s}, at least that's how it looks.", "It looks like {c}",
            "{s}, judging by the light."]
TECH_2 = ["{s}, 85 mm, f/1.4.", "{s} [ISO 6400].", "{s}, 1/250th of a second.", "{s}, photo 12/48.", "{s} (final_v3).",
          "{s}, Nikon D850.", "{s}, shot with the LUMIX S5.", "{s}, on a Pixel 8.", "{s}, exposure time 1/125.",
          "{s}, Ricoh GR III."]
HEDGES = ["{s}, seemingly unaware of the crowd.", "{s}, possibly after a long wait.", "What looks like {c}",
          "{s}, presumably on its way home.", "Some kind of {c}", "It is unclear whether {c}",
          "{s}, apparently untroubled.", "{s}, or so it seems.", "{s}, probably in the late season.",
          "{s} - perhaps the last of the year.", "What appears to be {c}", "{s}, it seems.",
          "{s}, maybe heading out.", "{s}, I believe.", "{s}, likely on a weekday.", "It's hard to say, but {c}",
          "{s}, though it might be a replica.", "Possibly {c}", "{s}, most likely in spring."]
NON_LATIN = ["{s} – красивый вид.", "{s} 在湖边.", "{s}, καλημέρα.", "{s} (東京).", "{s} مرحبا.", "{s}, 夕暮れ.",
             "{s} — ночь.", "{s} בית.", "{s}, 아름다운.", "{s} ที่นี่."]
CONTROL = ["{s}\x1b[31m.", "{s}.\x00", "{s}\x07.", "\x1b]0;title\x07{c}", "{s}\u202e.", "{s}.\x7f", "{s}\x9b2J.",
           "{s}\x1b[2K."]
TRUNCATE = [lambda c: " ".join(c.split()[:-2]) + " the", lambda c: " ".join(c.split()[:-3]) + " and",
            lambda c: strip_stop(c), lambda c: " ".join(c.split()[:-1]) + "...", lambda c: strip_stop(c) + ", with",
            lambda c: " ".join(c.split()[:-2]) + " a", lambda c: strip_stop(c) + " while the", lambda c: c[: len(c) * 2 // 3].rstrip(" ,") + "…"]
SHORT_CAPTIONS = ["{subj} in flight.", "Reeds and water.", "A nice view.", "Harbour scene.", "{subj}, close-up.",
                  "Lunch stall, Valencia.", "Old town, late.", "Sunny day.", "Mountains and lake.", "{subj} taking off.",
                  "{subj} and street life.", "Wildlife.", "Big wave.", "{subj}.", "Castle view.", "{subj} in colour!"]
SHORT_ALTS = ["Something outdoors.", "Water and sky.", "A close-up.", "A city.", "Nature.", "Two people.", "Lake view.", "Sky."]


def emit(cases: list[dict], cid: str, code: str | None, row: Row, **changes) -> None:
    ctx_extra = changes.pop("context", {})
    caption = changes.get("caption", row.caption)
    alt = changes.get("alt", row.alt)
    keywords = changes.get("keywords", row.keywords)
    ctx = row.context()
    ctx.update(ctx_extra)
    cases.append({"id": cid, "code": code, "caption": caption, "alt": alt, "keywords": keywords, "context": ctx})


def pick(rows: list[Row], i: int, stride: int = 7, start: int = 0) -> Row:
    return rows[(start + i * stride) % len(rows)]


def build() -> list[dict]:
    rows = clean_rows()
    cases: list[dict] = []
    for r in rows:
        emit(cases, f"clean-{r.n:03d}", None, r)

    def each(code: str, variants, make, stride: int = 7, start: int = 0):
        seen = sum(1 for c in cases if c["code"] == code)
        for i, v in enumerate(variants):
            r = pick(rows, i, stride, start)
            emit(cases, f"{code}-{seen + i:02d}", code, r, **make(r, v))

    def fill(template: str, r: Row) -> str:
        return template.format(s=strip_stop(r.caption), c=lower_first(r.caption))

    each("empty", range(16), lambda r, i: [{"caption": ""}, {"alt": ""}, {"caption": "   "}, {"alt": " \t"}][i % 4], 11, 3)
    each("too_short", SHORT_CAPTIONS, lambda r, v: {"caption": v.format(subj=r.subject)}, 5, 1)
    each("too_short", SHORT_ALTS, lambda r, v: {"alt": v}, 13, 2)
    each("caption_equals_alt", range(16), lambda r, i: {"alt": [r.caption, r.caption.upper(), strip_stop(r.caption) + "!",
                                                                r.caption.replace(" a ", " the ", 1)][i % 4]}, 9, 4)
    filler = OPENERS + PRAISE + MOOD + COMPOSITION
    each("filler_phrase", filler, lambda r, v: {"caption": fill(v, r)} if "{c}" in v or len(filler) else {}, 3, 5)
    each("leak", TECH, lambda r, v: {"caption": fill(v, r)}, 5, 6)
    each("uncertain", HEDGES, lambda r, v: {"caption": fill(v, r)}, 7, 8)
    each("filler_phrase", FILLER_2, lambda r, v: {"caption": fill(v, r)}, 13, 21)
    each("uncertain", HEDGES_2, lambda r, v: {"caption": fill(v, r)}, 17, 22)
    each("leak", TECH_2, lambda r, v: {"caption": fill(v, r)}, 19, 23)
    each("non_latin", NON_LATIN, lambda r, v: {"caption": fill(v, r)}, 11, 9)
    each("non_latin", ["東京タワー", "Москва", "Αθήνα", "القاهرة", "서울", "北京"], lambda r, v: {"keywords": r.keywords[:5] + [v]}, 17, 2)
    each("control_chars", CONTROL, lambda r, v: {"caption": fill(v, r)}, 13, 10)
    each("control_chars", ["\x1b[1mbold", "tab\x0bbed", "nul\x00", "\x1b]8;;http://x\x07link"],
         lambda r, v: {"keywords": r.keywords[:5] + [v]}, 19, 4)
    each("control_chars", ["\x1b[0m", "\x08", "\x1b[A", "\u2066"], lambda r, v: {"alt": strip_stop(r.alt) + v + "."}, 23, 5)
    each("repeated_word", range(16), lambda r, i: {"caption": _double(r.caption, i)}, 9, 11)
    each("truncated", range(16), lambda r, i: {"caption": _cut(r.caption, i)} if i % 3 else {"alt": _cut(r.alt, i)}, 7, 12)
    each("keywords_too_few", range(16), lambda r, i: {"keywords": r.keywords[: i % 5]}, 5, 13)
    each("keywords_too_many", range(16), lambda r, i: {"keywords": r.keywords + _more(r, 13 - len(r.keywords) + i % 5)}, 3, 14)
    each("keywords_duplicate", range(16), lambda r, i: {"keywords": r.keywords[:5] + [_dup(r.keywords[i % 3], i)]}, 7, 15)
    each("keywords_fragment", FRAGMENTS, lambda r, v: {"keywords": r.keywords[:5] + [v]}, 11, 16)
    each("duplicate_in_set", range(16), lambda r, i: {"context": {"set_captions": [pick(rows, i, 5, 1).caption,
         [r.caption, r.caption.lower(), strip_stop(r.caption)][i % 3]]}} if i % 4 else
         {"context": {"set_alts": [r.alt]}}, 13, 17)
    each("duplicate_published", range(16), lambda r, i: {"context": {"published_captions": [
        [r.caption, r.caption.upper(), strip_stop(r.caption) + "!"][i % 3]]}} if i % 4 else
        {"context": {"published_alts": [r.alt]}}, 17, 18)
    each("near_duplicate", range(16), lambda r, i: {"context": {"set_captions": [_reword(r.caption, i)]}}, 19, 19)
    for code, items in (("time_of_day", TIME_CASES), ("subject_mismatch", MISMATCH_CASES), ("implausible", IMPLAUSIBLE_CASES)):
        for i, (subject, hour, caption, alt, kws) in enumerate(items):
            r = Row(subject, "", "", hour, caption, alt, [k.strip() for k in kws.split(";")], 500 + i)
            emit(cases, f"{code}-{i:02d}", code, r)
    for i, (code, subject, hour, caption, alt, kws) in enumerate(WAVE4):
        r = Row(subject, "", "", hour, caption, alt, [k.strip() for k in kws.split(";")], 800 + i)
        emit(cases, f"wave4-{code or 'clean'}-{i:02d}", code, r)
    for i, (code, subject, hour, caption, alt, kws) in enumerate(WAVE5):
        r = Row(subject, "", "", hour, caption, alt, [k.strip() for k in kws.split(";")], 850 + i)
        emit(cases, f"wave5-{code or 'clean'}-{i:02d}", code, r)
    for i, (code, subject, hour, caption, alt, kws) in enumerate(WAVE6):
        r = Row(subject, "", "", hour, caption, alt, [k.strip() for k in kws.split(";")], 900 + i)
        emit(cases, f"wave6-{code or 'clean'}-{i:02d}", code, r)
    for i, (subject, hour, caption, alt, kws, extra) in enumerate(HARD_NEGATIVES):
        r = Row(subject, "", "", hour, caption, alt, [k.strip() for k in kws.split(";")], 700 + i, extra)
        emit(cases, f"clean-hard-{i:02d}", None, r)
    return cases


def _cut(text: str, i: int) -> str:
    out = TRUNCATE[i % len(TRUNCATE)](text)
    return out.replace(" the the", " the").replace(" a a", " a").replace(" and and", " and")


def _double(caption: str, i: int) -> str:
    words = caption.split()
    k = 1 + i % max(1, len(words) - 2)
    w = words[k].strip(",.")
    if not w.isalpha():
        k, w = 1, words[1].strip(",.")
    return " ".join(words[:k] + [w] + words[k:])


def _more(r: Row, n: int) -> list[str]:
    pool = ["travel", "outdoors", "nature", "colour", "detail", "Europe", "daylight", "scenery", "holiday", "landmark",
            "tourism", "culture", "texture", "calm", "weekend", "journey", "wanderlust", "destination"]
    return [p for p in pool if p.casefold() not in {k.casefold() for k in r.keywords}][:n]


def _dup(k: str, i: int) -> str:
    forms = [k.upper(), k + "s" if not k.endswith("s") else k.upper(), k.title() + " ", k.replace(" ", "-") if " " in k else k.capitalize()]
    return forms[i % 4]


def _reword(caption: str, i: int) -> str:
    words = caption.split()
    k = 2 + i % max(1, len(words) - 4)
    swaps = {"the": "a", "a": "the", "in": "on", "on": "in", "over": "above", "above": "over", "as": "while"}
    if words[k].lower() in swaps:
        words[k] = swaps[words[k].lower()]
    else:
        words.insert(k, ["quietly", "slowly", "again", "still"][i % 4])
    return " ".join(words)


FRAGMENTS = ["the harbour", "of", "stands in the", "and", "a quiet morning walk along", "2024", "42", "with its",
             "is seen", "in the", "0815", "!!", "very", "under a", "12345", "the old"]

# time_of_day: the text names a time the photo's (trustworthy) EXIF clock or its file name contradicts.
TIME_CASES = [
    ("Common Tern", 13, "A tern hunts over the Elbe in the blue hour before dawn.", "A white bird with a black cap flies above dark water.", "tern; Elbe; hunting; seabird; Hamburg"),
    ("Grey Heron", 12, "Golden hour light warms a heron standing in the reeds.", "A tall grey bird stands in reeds lit by warm light.", "heron; reeds; wading bird; lake; wildlife"),
    ("Mute Swan", 14, "A swan glides across the lake under a starry night sky.", "A white swan swims on calm water.", "swan; lake; reflection; swimming; bird"),
    ("Fishing Boat", 23, "Fishermen unload their catch in the bright midday sun at Newlyn.", "Men lift crates of fish from a small boat onto a quay.", "Newlyn; fishermen; catch; quay; Cornwall"),
    ("Skyline", 11, "Manhattan's towers glow in the last light of sunset across the East River.", "Tall buildings stand across a wide river.", "Manhattan; East River; skyline; towers; New York"),
    ("Market Stall", 22, "The first rays of the sun reach the spice stalls as the souk opens.", "Piles of coloured spices stand in sacks at a stall.", "Marrakech; souk; spices; market; Morocco"),
    ("Lighthouse", 12, "Twilight settles over the lighthouse as its beam begins to turn.", "A stone lighthouse stands on rocks by the sea.", "lighthouse; Brittany; coast; Atlantic; beacon"),
    ("Red Fox", 13, "A fox trots home along the hedge at dusk.", "An orange fox walks along a hedgerow.", "red fox; hedge; countryside; wildlife; mammal"),
    ("Cathedral", 10, "Late-afternoon light picks out the stone tracery of Cologne Cathedral.", "The carved stone front of a Gothic church.", "Cologne Cathedral; Gothic; tracery; Cologne; stone"),
    ("Harbour", 15, "Dawn breaks over the container cranes of the port of Hamburg.", "Tall cranes line a quay beside a river.", "Hamburg; port; container cranes; Elbe; harbour"),
    ("Village", 2, "Morning sunshine lights the church spire of Hallstatt above the lake.", "A church tower and old houses stand beside a lake.", "Hallstatt; church spire; lake; Austria; village"),
    ("Beach", 12, "Moonlit waves wash over the sand at Praia da Marinha.", "Waves wash onto a sandy beach below rocks.", "Praia da Marinha; Algarve; beach; waves; Portugal"),
    ("Rooftops", 14, "Chimney pots crowd the rooftops of Montmartre at daybreak.", "Grey roofs with many small chimneys.", "Paris; Montmartre; rooftops; chimneys; zinc roofs"),
    ("Castle", 13, "Neuschwanstein stands floodlit against the night sky.", "A white castle with towers stands on a hill.", "Neuschwanstein; Bavaria; castle; towers; landmark"),
    ("Milky Way", 12, "The Milky Way arches over the observatory domes at midnight.", "White telescope domes stand on a mountain top.", "Milky Way; La Palma; observatory; domes; stars"),
    ("Bridge", 17, "Early morning fog wraps the statues on the Charles Bridge before sunrise.", "Dark statues line a stone bridge.", "Charles Bridge; Prague; statues; Vltava; fog"),
    ("Rice Terraces", 13, "Evening light falls across the rice terraces of Tegallalang.", "Green stepped fields on a hillside.", "Tegallalang; Bali; rice terraces; fields; Indonesia"),
    ("Cyclist", 11, "A cyclist climbs Mont Ventoux in the glow of the setting sun.", "A rider on a road bike climbs a bare slope.", "Mont Ventoux; cycling; climb; Provence; road bike"),
]

# subject_mismatch: another thing of the Subject's kind named instead of it, or the Subject never referred to.
MISMATCH_CASES = [
    ("Common Tern", 10, "A herring gull hovers over the Elbe with a fish in its bill.", "A large white seabird hangs in the air holding a fish.", "herring gull; Elbe; seabird; fishing; Hamburg"),
    ("Common Tern", 11, "A cormorant dries its wings on a harbour post.", "A dark bird holds its wings open on a wooden post.", "cormorant; harbour; post; drying wings; Hamburg"),
    ("Grey Heron", 9, "A little egret stalks through the shallows of the lake.", "A white wading bird walks in shallow water.", "egret; shallows; lake; wading bird; Lake Constance"),
    ("Grey Heron", 15, "A white stork stands in the reeds at the edge of the lake.", "A tall bird stands among reeds.", "stork; reeds; lake; wading bird; wildlife"),
    ("Mute Swan", 16, "A Canada goose leads its goslings across the lake.", "A goose swims with several small chicks behind it.", "Canada goose; goslings; lake; spring; waterfowl"),
    ("Red Fox", 7, "A badger trots along the frosted forest track.", "A striped animal walks along a frosty path.", "badger; forest; frost; track; winter"),
    ("Red Fox", 8, "A roe deer steps out of the beech wood onto the meadow.", "A small deer walks from trees onto grass.", "roe deer; meadow; beech wood; morning; wildlife"),
    ("Brown Trout", 10, "A grayling holds in the current under an alder on the river.", "A fish holds still in clear moving water.", "grayling; river; current; alder; fishing"),
    ("Airbus A320", 15, "A Boeing 737 climbs out of Zurich over the autumn fields.", "A white passenger jet climbs above brown fields.", "Boeing 737; Zurich Airport; take-off; airliner; autumn"),
    ("Airbus A320", 14, "A Cessna 172 taxis past the terminal at Zurich Airport.", "A small white propeller plane taxis past a terminal.", "Cessna 172; Zurich Airport; light aircraft; taxiing; terminal"),
    ("Boeing 747", 13, "An Airbus A380 lands at Frankfurt with its lights on.", "A huge double-deck jet lands on a runway.", "Airbus A380; Frankfurt; landing; airliner; runway"),
    ("Helicopter", 11, "A glider circles above the Aletsch Glacier in rising air.", "A long-winged white aircraft flies above a glacier.", "glider; Aletsch Glacier; soaring; Swiss Alps; thermal"),
    ("Paella", 14, "A chef stirs a wide pan of risotto over a wood fire.", "A man stirs creamy rice in a big shallow pan.", "risotto; chef; wood fire; Valencia; rice"),
    ("Paella", 13, "Bowls of gazpacho wait on the counter of a Valencia food stall.", "Bowls of cold red soup stand on a counter.", "gazpacho; Valencia; food stall; soup; lunch"),
    ("Pizza", 20, "A cook lifts a tray of lasagne out of the wood-fired oven in Naples.", "A cook takes a baking tray out of a brick oven.", "lasagne; Naples; wood-fired oven; cook; Italian food"),
    ("Tulip", 10, "Rows of daffodils stretch towards a windmill near Lisse.", "Long rows of yellow flowers lead to a windmill.", "daffodils; Lisse; windmill; spring; Netherlands"),
    ("Oak", 15, "An old beech spreads its limbs over a clearing in the New Forest.", "A huge tree spreads its branches over a clearing.", "beech; New Forest; clearing; ancient tree; Hampshire"),
    ("Atlantic Puffin", 14, "A razorbill lands on the cliff top with a beak full of sand eels.", "A black and white seabird holds thin fish in its beak.", "razorbill; cliffs; sand eels; seabird; Scotland"),
    ("Kingfisher", 8, "Morning sun lights the river bank where mist lifts off the water.", "Mist rises off a river between green banks.", "river; mist; morning; river bank; Bavaria"),
    ("Brown Bear", 14, "Salmon leap the falls while spray drifts over the rocks.", "Fish jump up a waterfall over dark rocks.", "salmon; waterfall; Kamchatka; river; spray"),
    # second wave
    ("Atlantic Puffin", 12, "A guillemot stands on a ledge above the sea at Fowlsheugh.", "A dark and white seabird stands on a narrow rock ledge.", "guillemot; Fowlsheugh; ledge; seabird; Scotland"),
    ("Red Deer", 8, "A fallow deer buck steps out of the bracken in the park.", "A spotted deer with flat antlers walks out of ferns.", "fallow deer; bracken; park; autumn; wildlife"),
    ("Mallard", 10, "A pair of teal dabble in the shallows of the canal.", "Two small ducks feed in shallow water.", "teal; canal; dabbling; ducks; winter"),
    ("Goulash", 13, "A plate of Wiener schnitzel with potato salad at a tavern.", "A breaded cutlet with potato salad on a plate.", "schnitzel; tavern; potato salad; Vienna; lunch"),
    ("Oak", 15, "A huge sycamore shades the village green in summer.", "A large tree with a broad crown above a grassy green.", "sycamore; village green; summer; shade; England"),
    ("Humpback Whale", 11, "Orcas surface in the fjord near Tromsø.", "Black and white fins rise above grey water.", "orcas; fjord; Tromsø; Norway; winter"),
    ("Hedgehog", 22, "A mole pushes up fresh earth on the garden lawn.", "A small dark animal digs in the soil of a lawn.", "mole; lawn; garden; molehill; night"),
    ("Airbus A320", 12, "An A321 of easyJet lands at Gatwick on runway 26L.", "An orange and white jet touches down on a runway.", "A321; easyJet; Gatwick; landing; runway"),
    ("Airbus A320 D-AIZB", 15, "Lufthansa A320 D-AIQT rotates off runway 28 at Zurich.", "A white jet with a dark blue tail lifts off a runway.", "A320; Lufthansa; Zurich Airport; take-off; runway 28"),
    ("Pizza", 19, "A baker pulls a tray of focaccia out of the oven in Genoa.", "A baker lifts a tray of flat oily bread out of an oven.", "focaccia; Genoa; baker; oven; Liguria"),
]

# implausible: physically impossible claims the text alone shows.
IMPLAUSIBLE_CASES = [
    ("Desert", 17, "Two suns set behind the dunes of Sossusvlei.", "Red sand dunes under a glowing sky.", "Sossusvlei; dunes; Namibia; desert; sunset"),
    ("Full Moon", 21, "Twin moons rise behind the columns of the Temple of Poseidon.", "Ruined temple columns against the night sky.", "Sounion; temple; columns; moonrise; Greece"),
    ("Rainbow", None, "A rainbow arcs over the Twelve Bens at midnight.", "A rainbow over dark mountains.", "rainbow; Connemara; Twelve Bens; Ireland; mountains"),
    ("Rainbow", None, "A double rainbow shines over the harbour in the pitch-dark night.", "A rainbow above a harbour with boats.", "rainbow; harbour; boats; weather; coast"),
    ("Beach", None, "The sun rises in the west over the Algarve cliffs.", "Orange light over rocky cliffs by the sea.", "Algarve; cliffs; sunrise; coast; Portugal"),
    ("Skyline", None, "The sun sets in the east behind the Manhattan skyline.", "Tall buildings silhouetted against an orange sky.", "Manhattan; skyline; sunset; New York; towers"),
    ("Milky Way", None, "The Milky Way shines bright in the midday sky above La Palma.", "Stars over white observatory domes.", "Milky Way; La Palma; stars; observatory; night sky"),
    ("Northern Lights", None, "Green aurora dances across the cloudless noon sky over Abisko.", "Green light above a frozen lake.", "aurora; Abisko; Lapland; winter; lake"),
    ("Penguin", None, "African penguins soar high above Boulders Beach.", "Black and white birds above a beach.", "African penguins; Boulders Beach; South Africa; birds; colony"),
    ("Desert", None, "Three suns hang low over the red sand of Wadi Rum.", "Red sand and cliffs under a hazy sky.", "Wadi Rum; Jordan; desert; sand; cliffs"),
    ("Full Moon", None, "A full moon and a crescent moon rise together over Athens.", "The moon rises over a city with a hill.", "Athens; moonrise; Acropolis; Greece; night"),
    ("Snowfall", None, "Snow falls from a cloudless blue sky over Kinkaku-ji.", "A gold temple beside a pond under snow.", "Kinkaku-ji; Kyoto; snow; temple; winter"),
    ("Milky Way", None, "Stars fill the sky above the dunes under the blazing afternoon sun.", "Stars above pale sand dunes.", "stars; dunes; desert; night sky; Namibia"),
    ("Volcano", None, "Lava flows uphill towards the summit craters of Etna.", "Orange lava on the dark slope of a volcano.", "Etna; lava; volcano; Sicily; eruption"),
    ("Waterfall", None, "Skógafoss flows upwards into the sky above the cliff.", "A wide waterfall pouring over a cliff.", "Skógafoss; Iceland; waterfall; cliff; river"),
    ("Harbour", None, "A total solar eclipse darkens the harbour at midnight.", "A harbour with boats under a dark sky.", "harbour; eclipse; boats; sky; Malta"),
    ("Ostrich", None, "An ostrich flies low over the savannah of the Serengeti.", "A large bird above dry grassland.", "ostrich; Serengeti; savannah; bird; Tanzania"),
    ("Sunset", None, "The sun sets behind the mountains at noon above Lake Bled.", "Mountains behind a lake with an island.", "Lake Bled; mountains; island; Slovenia; lake"),
    # second wave
    ("Seascape", None, "A second sun glows beside the first above the horizon.", "Two bright lights above a calm sea.", "sea; horizon; sunset; glow; coast"),
    ("Night Sky", None, "Stars twinkle in the bright blue afternoon sky over the desert.", "A blue sky above red desert rocks.", "stars; desert; sky; rocks; Utah"),
    ("Rainbow", None, "A rainbow glows in the starless midnight sky over the bay.", "A dark bay under a black sky.", "rainbow; bay; night; coast; Ireland"),
    ("River", None, "The Rhine flows uphill past the castles of the Loreley.", "A wide river between steep slopes with a castle.", "Rhine; Loreley; castles; river; Germany"),
    ("Snowfall", None, "Thick snow falls from the cloudless summer sky over the beach.", "People on a sandy beach under a blue sky.", "beach; snow; summer; sky; holiday"),
]

# More hard negatives with their own context: each is close to one rule and must pass.
HARD_NEGATIVES = [
    ("Market Stall", 18, "A fishmonger calls out prices while the stalls pack up.", "A man in an apron shouts beside trays of fish on ice.", "fish market; fishmonger; stalls; evening; trade", {}),
    ("Street Portrait", 15, "A girl laughs with the friend she came with.", "Two young women laugh together on a street corner.", "friends; laughter; street portrait; city; summer", {}),
    ("Ferry", 8, "Passengers wave from the top deck as the ferry pulls out.", "People on the upper deck of a white ferry wave at the quay.", "ferry; passengers; departure; harbour; waving", {}),
    ("Pier", 16, "Anglers line the end of the pier, hoping for mackerel to bite on.", "People with fishing rods stand at the end of a pier.", "anglers; pier; mackerel; fishing; seaside", {}),
    ("Café", 10, "A waiter sets out chairs on the terrace that the regulars fight over.", "A man arranges metal chairs on a café terrace.", "café; terrace; waiter; morning routine; Paris", {}),
    ("Old Town", None, "Twilight falls over the rooftops of Tallinn's old town.", "Red roofs and church spires under a deep blue sky.", "Tallinn; old town; rooftops; spires; Estonia", {}),
    ("Harbour", None, "Golden hour light spills across the boats of Marsaxlokk.", "Painted boats float in a harbour in warm light.", "Marsaxlokk; Malta; luzzu; harbour; boats", {}),
    ("Beach", 0, "The first rays of the sun touch the sea stacks at Praia da Marinha.", "Orange rock pillars stand in calm blue water.", "Praia da Marinha; Algarve; sea stacks; sunrise; Portugal", {"exif_datetime": "2000:01:01 00:00:00"}),
    ("Skyline", 3, "Blue hour settles over the Hong Kong skyline across Victoria Harbour.", "Lit skyscrapers rise across a dark harbour.", "Hong Kong; Victoria Harbour; skyline; blue hour; city lights", {"exif_datetime": "2024:03:10 03:00:00"}),
    ("Lake", 19, "Dusk settles over Lake Bled as the island church lights up.", "A small island church lit up on a dark lake.", "Lake Bled; island church; dusk; Slovenia; lake", {}),
    ("Full Moon", 20, "A full moon rises over the rooftops of Jaipur's old city.", "A big round moon above flat rooftops.", "full moon; Jaipur; rooftops; moonrise; India", {}),
    ("Sun", 13, "The midday sun beats down on the salt flats of Uyuni.", "A vast white flat plain under a bright sky.", "Salar de Uyuni; Bolivia; salt flats; midday; heat", {}),
    ("Waterfall", 1, "The midnight sun lights the spray of Dettifoss in late June.", "A huge waterfall with spray under a bright sky.", "Dettifoss; Iceland; midnight sun; waterfall; summer", {}),
    ("Rainbow", 17, "A rainbow forms in the afternoon spray of the Victoria Falls.", "A rainbow in the mist of a huge waterfall.", "Victoria Falls; rainbow; spray; Zambia; Zimbabwe", {}),
    ("Common Tern", 10, "A tern dives for sand eels among gulls and cormorants off the breakwater.", "A white seabird plunges into the sea near other birds.", "tern; sand eels; gulls; cormorants; breakwater", {}),
    ("Airbus A320", 16, "An easyJet A320 lines up on runway 28 as a Cessna waits at the holding point.", "An orange and white jet on a runway with a small plane behind.", "A320; easyJet; runway 28; Cessna; Zurich Airport", {}),
    ("Paella", 13, "Paella comes to the table with lemon wedges and a jug of sangria.", "A pan of yellow rice with seafood and lemon wedges on a table.", "paella; sangria; lemon; seafood; Spanish lunch", {}),
    ("Brown Trout", 9, "A brown trout rises to a mayfly on the still water of the Test.", "A fish breaks the surface to take an insect.", "brown trout; River Test; mayfly; rise; Hampshire", {}),
    ("Route 66", 15, "A diner sign glows beside Route 66 in Seligman on a hot afternoon.", "A neon diner sign beside a long straight road.", "Route 66; Seligman; Arizona; diner; road trip", {}),
    ("Street Art", 12, "A stencil of the number 7 repeats down the wall of a Lisbon stairway.", "A painted number seven repeats along a wall beside steps.", "Lisbon; stencil; street art; stairway; number seven", {}),
    ("Marathon", 10, "Runner number 1042 crosses the Vltava on the Charles Bridge.", "A runner with a race number crosses a crowded stone bridge.", "Prague Marathon; Charles Bridge; runner; Vltava; race", {}),
    ("Night Heron", 13, "A night heron fishes from a mangrove root in broad daylight.", "A stocky grey heron with a black cap perches on a root.", "night heron; mangroves; fishing; Florida; heron", {}),
    ("Cocktail Bar", 22, "A bartender pours a Sunset Boulevard cocktail at a bar in Soho.", "A bartender pours an orange drink into a glass.", "cocktail; bartender; Soho; London; bar", {}),
    ("Musician", 14, "A choir sings 'Hallelujah, hallelujah' on the steps of St Paul's.", "A choir in robes sings on the steps of a cathedral.", "choir; St Paul's Cathedral; London; singing; carols", {}),
    ("Island", 11, "Pago Pago harbour shelters tuna boats below Rainmaker Mountain.", "Fishing boats in a harbour below a steep green mountain.", "Pago Pago; American Samoa; harbour; tuna boats; Rainmaker Mountain", {}),
    ("Lake", 14, "Sailboats drift across Lake Titicaca off the island of Taquile.", "Small sailboats on a deep blue lake near an island.", "Lake Titicaca; Taquile; Peru; sailboats; Andes", {}),
    ("Camera Shop", 12, "An old Leica sits in the window of a camera shop in Wetzlar.", "A vintage camera in a shop window.", "Leica; Wetzlar; camera shop; vintage camera; Germany", {}),
    ("Glacier", 11, "Climbers rope up below the seracs of the Mer de Glace.", "A group of climbers with ropes stands below tall blocks of ice.", "Mer de Glace; Chamonix; climbers; seracs; glacier", {}),
    ("Penguin", 10, "King penguins stand in their thousands on the beach at Salisbury Plain.", "A crowd of tall penguins with orange markings on a beach.", "king penguins; Salisbury Plain; South Georgia; colony; beach", {}),
    # third wave: ordinary words near a rule, used as a careful writer would
    ("Railway Station", 9, "The night train from Vienna pulls into Venice Santa Lucia after breakfast.", "A long blue sleeper train stands at a platform under a glass roof.", "night train; Venice Santa Lucia; Vienna; sleeper; railway", {}),
    ("Railway", 11, "Steam locomotive 99 7232 hauls coaches up the 1000 mm gauge line to the Brocken.", "A black steam engine pulls old coaches up a mountain line.", "Harzer Schmalspurbahnen; Brocken; narrow gauge; steam; Harz", {}),
    ("Tram", 8, "Tram No. 128 rattles across the Vltava on its way to the castle district.", "A red tram crosses a bridge over a wide river.", "Prague; tram; Vltava; castle district; Czech Republic", {}),
    ("Bridge", 21, "The Rainbow Bridge glows at night across Tokyo Bay.", "A lit suspension bridge spans dark water with city lights behind.", "Rainbow Bridge; Tokyo Bay; Odaiba; Tokyo; night", {}),
    ("Castle", 14, "The cobbled path runs uphill from the market square to the castle gate.", "A steep cobbled lane leads up to a stone gateway.", "castle gate; cobbled path; old town; Český Krumlov; uphill", {}),
    ("Market Stall", 12, "The flower market opens at noon and closes at sunset.", "Buckets of cut flowers stand in rows at a covered market.", "flower market; Amsterdam; Bloemenmarkt; tulips; stalls", {}),
    ("Painting", 15, "The castle was the subject of a famous Turner watercolour, now in the Tate.", "A ruined castle on a hill above a river valley.", "Turner; watercolour; castle ruins; river valley; Tate", {}),
    ("Bus", 17, "The number 11 bus passes the Houses of Parliament in the rush hour.", "A red double-decker bus drives past a large Gothic building.", "London; double-decker; Houses of Parliament; number 11 bus; Westminster", {}),
    ("Museum", 11, "Visitors queue for the Apollo 11 command module at the Air and Space Museum.", "People stand in line beside a small cone-shaped spacecraft.", "Apollo 11; Columbia; National Air and Space Museum; Washington; spacecraft", {}),
    ("Hotel", 16, "The Grand Budapest Hotel façade in Görlitz draws film fans every summer.", "A grand old building with an ornate front on a town square.", "Görlitz; film location; Grand Budapest Hotel; Saxony; façade", {}),
    ("Snowfall", 10, "Snow slides off the chapel roof under a cloudless sky after the storm.", "Snow falls from a steep roof of a small white chapel.", "chapel; snow; roof; Tyrol; winter", {}),
    ("Beach", 13, "Kite surfers race across the bay at Tarifa as the Levante blows.", "People with large kites ride boards across choppy water.", "Tarifa; kite surfing; Levante; Andalusia; wind", {}),
    ("Crane", 9, "Common cranes gather on the Hornborga lake meadows in April.", "Hundreds of tall grey birds stand on a wet meadow.", "common cranes; Lake Hornborga; Sweden; migration; spring", {}),
    ("Dining", 20, "Diners share a whole grilled sea bass at a taverna in Chania harbour.", "People at a table share a grilled fish beside a harbour.", "Chania; taverna; sea bass; Crete; dinner", {}),
    ("Harbour", 6, "Longliners leave Grimsby before dawn, deck lights still burning.", "Fishing boats with bright lights leave a harbour in the dark.", "Grimsby; longliners; fishing fleet; dawn; North Sea", {}),
    ("Festival", 22, "Fire dancers spin torches on the beach during the Full Moon Party on Koh Phangan.", "People swing flaming torches on a crowded beach at night.", "Full Moon Party; Koh Phangan; fire dancers; Thailand; beach party", {}),
    ("Portrait", 11, "A fisherman mends a net; he says the sardines may be back next week.", "An old man sits on a quay mending a fishing net.", "fisherman; net mending; sardines; Nazaré; Portugal", {}),
    ("Wildlife Park", 14, "A keeper feeds an emu at the wildlife park outside Melbourne.", "A woman holds out food to a tall shaggy bird behind a fence.", "emu; wildlife park; keeper; Melbourne; Australia", {}),
    ("Street", 12, "Wagga Wagga's main street is lined with verandahs from the 1880s.", "A wide street with old shop fronts and covered walkways.", "Wagga Wagga; New South Wales; main street; verandahs; Australia", {}),
    ("Observatory", 20, "Telescope domes open on Mauna Kea as the sky darkens over the clouds.", "White observatory domes stand above a sea of clouds.", "Mauna Kea; observatory; telescopes; Hawaii; sea of clouds", {}),
    ("Airbus A320", 15, "Swiss livery gleams as the jet climbs out of Zurich over the autumn fields.", "A white passenger jet with a red tail climbs above brown fields.", "Swiss; Zurich Airport; take-off; airliner; autumn", {}),
    ("Common Tern", 12, "A kite hangs over the dunes where the colony nests every summer.", "A white seabird with a black cap sits on a nest in the sand.", "tern colony; dunes; nesting; seabirds; summer", {}),
    # time words on photos without a trustworthy time: never refused
    ("Lighthouse", None, "Night falls over the Fastnet light as the beam begins its sweep.", "A tall lighthouse on a rock in the sea under a dark sky.", "Fastnet; lighthouse; Ireland; Atlantic; beam", {}),
    ("Rice Terraces", None, "At dawn mist fills the valleys below the Banaue terraces.", "Mist lies in valleys between green stepped fields.", "Banaue; rice terraces; Philippines; mist; Ifugao", {}),
    ("Desert", None, "Sunset turns the sandstone fins of Arches orange and red.", "Red rock fins glow under a clear sky.", "Arches National Park; Utah; sandstone; fins; desert", {}),
    ("Skyline", None, "Blue hour over the Bund as the Pudong towers light up across the Huangpu.", "Lit skyscrapers rise across a wide river.", "The Bund; Pudong; Shanghai; Huangpu; skyline", {}),
    ("Mountain Hut", None, "Late-afternoon light warms the shingle roof of a hut below the Eiger.", "A small wooden hut with a shingle roof below a steep peak.", "Eiger; Grindelwald; mountain hut; Bernese Oberland; Switzerland", {}),
    ("Street", 12, "Midnight on Las Ramblas: the flower stalls are shuttered and the cafés still full.", "A wide street with closed kiosks and busy café tables.", "Las Ramblas; Barcelona; cafés; flower stalls; street life", {"exif_datetime": "2024:06:01 12:10:00", "time_trusted": False}),
    ("Skyline", 7, "The morning ferry crosses Sydney Harbour beneath the bridge.", "A green and yellow ferry passes under a big steel arch bridge.", "Sydney Harbour; ferry; Harbour Bridge; Sydney; commute", {"exif_datetime": "2024:02:01 20:30:00", "time_trusted": False}),
]


# fourth wave: whole rows in the voice of a vision-language model, written before checking them against the gate.
# (code or None, subject, EXIF hour, caption, alt text, keywords)
WAVE4 = [
    ("filler_phrase", "Grey Heron", 8, "The image captures a quiet moment as a grey heron stands in the shallows of the lake.", "A tall grey bird stands still in shallow water near reeds.", "grey heron; shallows; lake; wading bird; reeds"),
    ("filler_phrase", "Fishing Boat", 9, "This picturesque harbour is home to a row of fishing boats moored along the quay.", "Small fishing boats are tied up along a stone quay.", "fishing boats; harbour; quay; moorings; Camogli"),
    ("filler_phrase", "Grey Heron", 15, "A tranquil lakeside setting with a grey heron wading among the reeds.", "A grey bird wades through shallow water between reeds.", "grey heron; lakeside; reeds; wading; wildlife"),
    ("filler_phrase", "Gondola", 10, "The photograph perfectly captures the essence of a Venetian morning on the Grand Canal.", "A gondola glides along a wide canal lined with old palaces.", "gondola; Grand Canal; Venice; gondolier; canal"),
    ("filler_phrase", "Old Town", 11, "A charming cobbled lane in Prague's old town, perfect for a leisurely stroll.", "A narrow cobbled street between old painted houses.", "Prague; old town; cobbled lane; Malá Strana; Czech Republic"),
    ("filler_phrase", "Village", 12, "Nestled between the mountains and the lake, Hallstatt boasts pastel houses and a slender church spire.", "Pastel houses and a church spire stand beside a lake below mountains.", "Hallstatt; Austria; lake; church spire; Salzkammergut"),
    ("filler_phrase", "Lighthouse", 17, "The interplay of light and shadow adds depth to the white lighthouse on the cliff.", "A white lighthouse stands on a cliff above the sea.", "lighthouse; cliff; coast; Cornwall; sea"),
    ("filler_phrase", "Grey Heron", 16, "The heron is the focal point of the picture, standing tall in the still water.", "A tall grey bird stands in still water.", "heron; still water; lake; wading bird; calm"),
    ("filler_phrase", "Village", 13, "A quintessential English village with thatched cottages and a duck pond on the green.", "Thatched cottages stand around a village green with a pond.", "English village; thatched cottages; duck pond; village green; Cotswolds"),
    ("filler_phrase", "Market Stall", 11, "Overall, the scene conveys the lively energy of a Moroccan spice market.", "Sacks of coloured spices stand in rows at a market stall.", "spice market; Marrakech; spices; souk; Morocco"),
    ("uncertain", "Grey Heron", 9, "A large grey bird, likely a heron, stands in the water near the reeds.", "A large grey bird stands in shallow water by reeds.", "heron; reeds; lake; wading bird; water"),
    ("uncertain", "Lighthouse", 14, "The white tower on the headland appears to be a disused lighthouse above the bay.", "A white tower stands on a grassy headland above a bay.", "lighthouse; headland; bay; coast; tower"),
    ("uncertain", "Paella", 13, "The paella seems to contain rice, prawns and mussels cooked with saffron.", "A wide pan of yellow rice with prawns and mussels.", "paella; prawns; mussels; saffron; Valencia"),
    ("uncertain", "Airbus A320", 15, "The aircraft is presumably an Airbus A320 in Swiss livery climbing out of Zurich.", "A white passenger jet with a red tail climbs into the sky.", "Airbus A320; Swiss; Zurich Airport; take-off; airliner"),
    ("uncertain", "Common Tern", 11, "The birds over the harbour are most likely terns chasing small fish.", "White birds with black caps fly low over harbour water.", "terns; harbour; fishing; seabirds; summer"),
    ("leak", "Grey Heron", 10, "A grey heron stands among the reeds at the edge of the lake, f/5.6, 1/1000s.", "A tall grey bird stands among reeds at the water's edge.", "grey heron; reeds; lake; wading bird; wildlife"),
    ("leak", "Grey Heron", 10, "Canon EOS R5 photograph of a grey heron hunting in the shallows of the lake.", "A tall grey bird hunts in shallow water.", "grey heron; hunting; shallows; lake; wildlife"),
    ("time_of_day", "Grey Heron", 10, "A golden sunset lights a grey heron standing in the reeds of the lake.", "A grey bird stands in reeds lit by warm light.", "grey heron; reeds; lake; wading bird; warm light"),
    ("truncated", "Grey Heron", 10, "A grey heron stands in the shallow water of the lake and", "A tall grey bird stands in shallow water.", "grey heron; shallow water; lake; wading bird; reeds"),
    ("keywords_too_many", "Grey Heron", 10, "A grey heron stands in the shallow water of the lake near the reeds.", "A tall grey bird stands in shallow water near reeds.", "heron; bird; nature; water; lake; reeds; wildlife; animal; outdoor; Germany; Europe; travel; birdwatching"),
    ("subject_mismatch", "Grey Heron", 10, "A great egret stands in the shallow water of the lake near the reeds.", "A white wading bird stands in shallow water near reeds.", "great egret; lake; reeds; wading bird; wildlife"),
    (None, "Grey Heron", 10, "A grey heron stands motionless in shallow water, its long neck curved as it watches for fish.", "A tall grey bird with a curved neck stands in shallow water.", "grey heron; shallow water; fishing; wading bird; patience"),
    (None, "Fishing Boat", 10, "Fishing boats are moored along the stone quay of Camogli, with tall pastel houses rising behind them.", "Small boats tied along a stone quay below tall painted houses.", "Camogli; fishing boats; quay; pastel houses; Liguria"),
    (None, "Paella", 13, "A pan of paella topped with prawns, mussels and lemon wedges sits on a checked tablecloth.", "A wide pan of yellow rice with seafood and lemon on a checked cloth.", "paella; prawns; mussels; lemon; Spanish food"),
    (None, "Airbus A320", 15, "An Airbus A320 in Swiss livery climbs away from the runway with its landing gear retracting.", "A white jet with a red tail climbs with its wheels folding up.", "Airbus A320; Swiss; take-off; landing gear; airliner"),
    (None, "Village", 9, "Snow covers the roofs of Hallstatt, and the church spire is reflected in the still lake.", "Snowy roofs and a church spire reflected in a calm lake.", "Hallstatt; snow; church spire; reflection; Austria"),
    (None, "Red Fox", 9, "A red fox trots across a snowy field, leaving a line of paw prints behind it.", "An orange fox walks across snow leaving footprints.", "red fox; snow; paw prints; field; winter"),
    (None, "Tram", 15, "A yellow tram passes in front of the colourful facades of Lisbon's Alfama district.", "A yellow tram passes colourful old buildings on a narrow street.", "Lisbon; tram; Alfama; facades; Portugal"),
    (None, "Market Stall", 11, "Sacks of turmeric, paprika and cumin are piled high at a spice stall in the Marrakech souk.", "Open sacks of yellow, red and brown spices at a market stall.", "spices; Marrakech; souk; turmeric; Morocco"),
    (None, "Lighthouse", 17, "The white lighthouse at Godrevy stands on its island as waves break on the rocks below.", "A white lighthouse on a small rocky island with waves breaking.", "Godrevy; lighthouse; waves; Cornwall; island"),
    (None, "Common Tern", 11, "A common tern hovers above the harbour, its forked tail spread and its head angled down toward the water.", "A white seabird with a forked tail hovers above water.", "common tern; hovering; harbour; forked tail; seabird"),
]


# fifth wave: written blind after the fourth was fixed, to measure how the rules hold on text they were not tuned on.
WAVE5 = [
    ("filler_phrase", "Mute Swan", 10, "In this serene image, a mute swan glides across the glassy surface of the lake.", "A white swan swims on a smooth lake.", "mute swan; lake; gliding; reflection; waterfowl"),
    ("filler_phrase", "Castle", 11, "Neuschwanstein Castle rises majestically above the autumn forest like something from a fairy tale.", "A white castle with towers on a hill above orange trees.", "Neuschwanstein; castle; Bavaria; autumn; forest"),
    ("filler_phrase", "Market Stall", 12, "Colourful fruit is piled high at a market stall, a true celebration of local produce.", "Piles of oranges, lemons and melons on a market stall.", "market stall; fruit; oranges; produce; market"),
    ("filler_phrase", "Lighthouse", 18, "A striking composition of a red lighthouse against a deep blue evening sky.", "A red lighthouse stands against a dark blue sky.", "lighthouse; evening; coast; red tower; Norway"),
    ("filler_phrase", "Red Fox", 9, "A red fox pauses in the snow, creating a wonderful contrast with the white landscape.", "An orange fox stands still in deep snow.", "red fox; snow; winter; contrast; wildlife"),
    ("filler_phrase", "Grey Heron", 8, "Nature lovers will appreciate this grey heron poised at the water's edge.", "A grey bird stands at the edge of the water.", "grey heron; water's edge; wading bird; lake; wildlife"),
    ("filler_phrase", "Paella", 13, "A mouthwatering paella loaded with prawns and mussels, sure to delight any food lover.", "A pan of yellow rice with prawns and mussels.", "paella; prawns; mussels; seafood; Spanish food"),
    ("filler_phrase", "Bridge", 7, "The Charles Bridge at sunrise offers a peaceful escape from the bustle of the city.", "Statues line an empty stone bridge in soft light.", "Charles Bridge; Prague; statues; Vltava; sunrise"),
    ("uncertain", "Grey Heron", 10, "A heron, or possibly an egret, stands at the far end of the pond.", "A pale bird stands at the far end of a pond.", "heron; pond; wading bird; reeds; wildlife"),
    ("uncertain", "Red Fox", 9, "A red fox, perhaps a young one, sniffs at the frozen ground.", "An orange fox sniffs the frosty ground.", "red fox; frost; sniffing; winter; wildlife"),
    ("uncertain", "Airbus A320", 14, "An Airbus A320 climbs out, probably bound for a holiday destination.", "A passenger jet climbs into a blue sky.", "Airbus A320; take-off; airliner; blue sky; aviation"),
    ("uncertain", "Paella", 13, "The paella appears to include chicken, rabbit and green beans.", "A pan of rice with meat and green beans.", "paella; chicken; rabbit; green beans; Valencia"),
    ("leak", "Common Tern", 11, "A common tern hovers over the harbour, shot at 1/3200 with a 600mm lens.", "A white seabird hovers above water.", "common tern; hovering; harbour; seabird; summer"),
    ("leak", "Cathedral", 20, "Cologne Cathedral lit up above the Rhine, image 04 of 12.", "Two tall lit towers of a Gothic church above a river.", "Cologne Cathedral; Rhine; Gothic; night; Cologne"),
    ("leak", "Red Fox", 9, "Red fox in the snow, captured with the Sony A1 and 200-600 lens.", "An orange fox standing in snow.", "red fox; snow; winter; wildlife; Black Forest"),
    ("implausible", "Beach", None, "Two moons hang over the beach as the tide goes out.", "A beach at low tide under a night sky.", "beach; tide; night; moon; coast"),
    ("implausible", "Penguin", None, "A flock of emperor penguins flies over the ice shelf.", "Black and white birds above white ice.", "emperor penguins; ice shelf; Antarctica; colony; birds"),
    ("subject_mismatch", "Common Tern", 11, "An Arctic skua chases a kittiwake over the harbour.", "A dark bird chases a white bird over water.", "Arctic skua; kittiwake; harbour; chase; seabirds"),
    ("subject_mismatch", "Airbus A320", 14, "An Embraer 190 waits at the gate at Zurich Airport.", "A small white jet parked at a terminal gate.", "Embraer 190; Zurich Airport; gate; regional jet; aviation"),
    ("time_of_day", "Bridge", 15, "Blue hour settles over the Charles Bridge as the lamps come on.", "A stone bridge with statues under a deep blue sky.", "Charles Bridge; Prague; blue hour; lamps; Vltava"),
    (None, "Mute Swan", 10, "A mute swan glides across the lake, leaving a long V-shaped wake behind it.", "A white swan swims across a lake leaving ripples.", "mute swan; lake; wake; waterfowl; spring"),
    (None, "Castle", 11, "Neuschwanstein Castle rises above the autumn forest, seen from the Marienbrücke.", "A white castle with towers stands on a hill above orange trees.", "Neuschwanstein; castle; Bavaria; autumn; Marienbrücke"),
    (None, "Market Stall", 12, "Oranges, lemons and melons are piled high at a fruit stall in the Boqueria market.", "Piles of citrus fruit and melons at a market stall.", "Boqueria; Barcelona; fruit stall; oranges; market"),
    (None, "Red Fox", 9, "A red fox pauses in deep snow, one front paw lifted, its ears turned toward a sound.", "An orange fox stands in deep snow with one paw raised.", "red fox; snow; winter; listening; wildlife"),
    (None, "Grey Heron", 8, "A grey heron stands at the water's edge with its neck drawn in against the cold.", "A grey bird with its neck tucked in stands at the edge of water.", "grey heron; water's edge; winter; wading bird; cold"),
    (None, "Paella", 13, "Chicken, rabbit and green beans simmer in a wide paella pan over an open fire.", "Meat and green beans cook in rice in a wide pan over flames.", "paella; chicken; rabbit; open fire; Valencia"),
    (None, "Common Tern", 11, "A common tern dives into the harbour after a sand eel, wings folded back.", "A white seabird plunges into the water with its wings swept back.", "common tern; diving; harbour; sand eel; seabird"),
    (None, "Airbus A320", 14, "A Lufthansa Airbus A320 taxis past the control tower at Munich Airport.", "A white passenger jet with a dark blue tail taxis past a tower.", "Airbus A320; Lufthansa; Munich Airport; control tower; taxiing"),
    (None, "Cathedral", 20, "Cologne Cathedral and the Hohenzollern Bridge are lit up above the Rhine.", "Two tall lit towers of a Gothic church above a river and a bridge.", "Cologne Cathedral; Hohenzollern Bridge; Rhine; Gothic; Cologne"),
    (None, "Bridge", 7, "Early light falls on the statues of the Charles Bridge before the first visitors arrive.", "Dark statues line an empty stone bridge in soft light.", "Charles Bridge; Prague; statues; Vltava; morning"),
]


# sixth wave: written blind after every rule change, kept as the last held-out measurement.
WAVE6 = [
    ("filler_phrase", "Waterfall", 12, "Gullfoss thunders into its canyon, a breathtakingly raw display of nature's power.", "A wide waterfall drops in two steps into a deep canyon.", "Gullfoss; Iceland; waterfall; canyon; Golden Circle"),
    ("filler_phrase", "Cathedral", 11, "Step inside the Sagrada Família and be amazed by its forest of columns.", "Tall branching stone columns under a ceiling of star shapes.", "Sagrada Família; Barcelona; Gaudí; columns; interior"),
    ("filler_phrase", "Harbour", 18, "The harbour at Nyhavn exudes old-world charm with its colourful townhouses.", "Colourful old houses line a canal with wooden boats.", "Nyhavn; Copenhagen; harbour; townhouses; canal"),
    ("filler_phrase", "Street Portrait", 15, "This candid shot of a Havana barber at work tells a story of everyday life.", "A barber cuts a man's hair in a small open shop.", "Havana; barber; street portrait; Cuba; everyday life"),
    ("filler_phrase", "Desert", 7, "Photographers will love the soft morning light on the dunes of Erg Chebbi.", "Soft light falls across orange sand dunes.", "Erg Chebbi; Sahara; dunes; Morocco; desert"),
    ("filler_phrase", "Glacier", 12, "Perito Moreno glacier, an absolute must for anyone visiting Patagonia.", "A huge wall of white and blue ice above a grey lake.", "Perito Moreno; glacier; Patagonia; Argentina; ice"),
    ("uncertain", "Owl", 3, "An owl, maybe a tawny owl, sits on a branch in the dark wood.", "An owl sits on a branch in a dark forest.", "owl; tawny owl; forest; night; branch"),
    ("uncertain", "Fishing Boat", 7, "The fishing boat appears to be heading out for the day's catch.", "A small blue boat moves out of a harbour.", "fishing boat; harbour; morning; catch; Brittany"),
    ("uncertain", "Temple", 9, "A stone temple, likely built in the twelfth century, stands among the trees.", "A stone temple half hidden among tall trees.", "temple; Angkor; stone; jungle; Cambodia"),
    ("leak", "Lighthouse", 19, "Lighthouse at Peggy's Cove, NIKON Z 7II, 24-70mm.", "A white lighthouse on smooth grey rocks.", "Peggy's Cove; lighthouse; Nova Scotia; rocks; Canada"),
    ("leak", "Harbour", 18, "Nyhavn harbour in the last light, exposure 1/15 sec at f/11.", "Colourful houses line a canal with boats.", "Nyhavn; Copenhagen; harbour; canal; boats"),
    ("keywords_duplicate", "Harbour", 18, "Colourful townhouses line the canal at Nyhavn as the cafés fill up.", "Colourful old houses line a canal with wooden boats.", "Nyhavn; Copenhagen; harbour; canal; Harbours; cafés"),
    ("keywords_fragment", "Lighthouse", 19, "The lighthouse at Peggy's Cove stands on bare granite by the sea.", "A white lighthouse on smooth grey rocks.", "Peggy's Cove; lighthouse; granite; by the sea; Nova Scotia"),
    ("repeated_word", "Desert", 7, "Camel trains cross the the dunes of Erg Chebbi in soft light.", "A line of camels walks over orange dunes.", "Erg Chebbi; camels; dunes; Sahara; Morocco"),
    ("truncated", "Glacier", 12, "Ice calves from the face of the Perito Moreno glacier into the", "A chunk of ice falls from a tall ice wall into a lake.", "Perito Moreno; glacier; calving; Patagonia; Argentina"),
    ("time_of_day", "Desert", 13, "Early morning light rakes across the dunes of Erg Chebbi.", "Soft light falls across orange sand dunes.", "Erg Chebbi; dunes; Sahara; Morocco; desert"),
    ("implausible", "Lake", None, "Three suns reflect in the still water of Lake Bled.", "A calm lake with a small island and a church.", "Lake Bled; reflection; island; Slovenia; lake"),
    ("subject_mismatch", "Owl", 3, "A nightjar sits motionless on a branch in the dark wood.", "A mottled brown bird sits on a branch at night.", "nightjar; forest; night; branch; camouflage"),
    ("subject_mismatch", "Boeing 747", 14, "A Lufthansa Airbus A340 rolls out on runway 25C at Frankfurt.", "A four-engine passenger jet on a runway.", "Airbus A340; Lufthansa; Frankfurt; landing; runway"),
    ("control_chars", "Glacier", 12, "Ice calves from the face of the Perito Moreno glacier into Lago Argentino.\x1b[K", "A chunk of ice falls from a tall ice wall into a lake.", "Perito Moreno; glacier; calving; Patagonia; Argentina"),
    (None, "Waterfall", 12, "Gullfoss drops in two steps into a narrow canyon, spray rising over the lip.", "A wide waterfall drops in two steps into a deep canyon.", "Gullfoss; Iceland; waterfall; canyon; Golden Circle"),
    (None, "Cathedral", 11, "Branching columns hold up the vault of the Sagrada Família like trees in stone.", "Tall branching stone columns under a ceiling of star shapes.", "Sagrada Família; Barcelona; Gaudí; columns; interior"),
    (None, "Harbour", 18, "Colourful townhouses line the canal at Nyhavn as the cafés fill up.", "Colourful old houses line a canal with wooden boats.", "Nyhavn; Copenhagen; harbour; canal; cafés"),
    (None, "Street Portrait", 15, "A barber in Havana trims a customer's hair with the shop door open to the street.", "A barber cuts a man's hair in a small open shop.", "Havana; barber; street portrait; Cuba; haircut"),
    (None, "Desert", 7, "Camel trains cross the dunes of Erg Chebbi as the first light reaches the crests.", "A line of camels walks over orange dunes.", "Erg Chebbi; camels; dunes; Sahara; Morocco"),
    (None, "Owl", 3, "A tawny owl sits on a low branch in the dark wood, eyes wide.", "An owl sits on a branch in a dark forest.", "tawny owl; forest; night; branch; England"),
    (None, "Fishing Boat", 7, "A blue fishing boat leaves Concarneau for the day, gulls trailing behind.", "A small blue boat moves out of a harbour with birds behind.", "fishing boat; Concarneau; Brittany; gulls; harbour"),
    (None, "Temple", 9, "Roots of a silk-cotton tree grip the stone galleries of Ta Prohm.", "Huge tree roots grow over old stone walls.", "Ta Prohm; Angkor; tree roots; temple; Cambodia"),
    (None, "Lighthouse", 19, "The lighthouse at Peggy's Cove stands on bare granite by the sea.", "A white lighthouse on smooth grey rocks.", "Peggy's Cove; lighthouse; granite; Nova Scotia; Canada"),
    (None, "Boeing 747", 14, "A Lufthansa Boeing 747-8 rolls out on runway 25C at Frankfurt.", "A four-engine passenger jet slows down on a runway.", "Boeing 747-8; Lufthansa; Frankfurt; landing; runway 25C"),
]


def main() -> None:
    cases = build()
    out = HERE / "gate_corpus.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    by = {}
    for c in cases:
        by[c["code"]] = by.get(c["code"], 0) + 1
    print(f"{len(cases)} cases -> {out}")
    for k, v in sorted(by.items(), key=lambda kv: str(kv[0])):
        print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
