"""Validate the corpus files in /work/challenge (format, keys, vocabularies, and that labels are said)."""
import glob
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)

COMPLAINTS = set("""fever|cough|sore throat|nasal congestion|runny nose|shortness of breath|loss of smell|
loss of taste|fatigue|headache|nausea|vomiting|diarrhoea|chest pain|muscle ache|joint pain|back pain|
abdominal pain|dizziness|hot flashes|bleeding|pain|chills|sweating|sneezing|hoarseness|ear pain|
palpitations|swelling|rash|insomnia|loss of appetite|constipation|wheezing|sputum|mouth sores|numbness"""
                 .replace("\n", "").split("|"))
VITAL_KEYS = {"temperature_c", "spo2_percent", "heart_rate_bpm", "respiratory_rate",
              "systolic_mmhg", "diastolic_mmhg"}
TOP_KEYS = {"scenario", "diagnosis", "vitals", "triage", "follow_up", "medications", "complaints"}
MED_KEYS = {"name", "renewal", "dose", "frequency", "duration_days"}

# how each labelled INN may be said in a transcript (INN itself or a brand), as regex fragments
MED_SAID = {
    "paracetamol": ["парацетамол", "paracetamol", "tylenol", "calpol"],
    "ibuprofen": ["нурофен", "ибупрофен", "ibuprofen", "advil"],
    "amlodipine": ["амлодипин"], "enalapril": ["эналаприл"], "indapamide": ["индапамид", "indapamide"],
    "metformin": ["глюкофаж", "метформин", "glucophage"], "empagliflozin": ["эмпаглифлозин"],
    "salbutamol": ["вентолин", "сальбутамол", "ventolin"], "budesonide": ["будесонид", "пульмикорт", "budesonide"],
    "fosfomycin": ["монурал"], "oseltamivir": ["тамифлю", "tamiflu"], "ambroxol": ["амброксол"],
    "amoxicillin clavulanate": ["амоксиклав"], "mometasone": ["назонекс"], "tamoxifen": ["тамоксифен"],
    "letrozole": ["летрозол"], "capecitabine": ["капецитабин", "кселод"], "loperamide": ["лоперамид", "loperamide"],
    "hydroxycarbamide": ["гидроксикарбамид"], "imatinib": ["иматиниб", "гливек"],
    "amoxicillin": ["амоксициллин", "amoxicillin"], "lisinopril": ["лизиноприл", "lisinopril"],
    "captopril": ["каптоприл"], "acetylsalicylic acid": ["аспирин"], "tiotropium": ["спирива", "spiriva"],
    "naproxen": ["напроксен", "naproxen"], "diclofenac": ["диклофенак"], "levothyroxine": ["эутирокс", "levothyroxine"],
    "cetirizine": ["зиртек", "cetirizine"], "omeprazole": ["омепразол"], "sertraline": ["сертралин", "sertraline"],
    "apixaban": ["эликвис", "eliquis"], "bisoprolol": ["конкор", "бисопролол", "bisoprolol"],
    "insulin glargine": ["лантус"], "gliclazide": ["диабетон"], "sumatriptan": ["суматриптан"],
    "ciprofloxacin": ["ципрофлоксацин"], "losartan": ["лозап", "losartan"], "hydrochlorothiazide": ["гидрохлоротиазид"],
    "atorvastatin": ["аторвастатин", "lipitor"], "acetylcysteine": ["ацетилцистеин"], "azithromycin": ["азитромицин", "azithromycin"],
    "ferrous sulfate": ["сорбифер"], "loratadine": ["кларитин"], "aciclovir": ["ацикловир"], "warfarin": ["варфарин"],
    "betahistine": ["бетасерк"], "prednisolone": ["prednisolone"], "nitrofurantoin": ["nitrofurantoin"],
    "fluticasone": ["flonase"], "anastrozole": ["anastrozole", "arimidex"], "ramipril": ["ramipril"],
    "montelukast": ["montelukast"], "pantoprazole": ["нольпаза", "пантопразол"],
    "cefuroxime": ["зиннат", "цефуроксим"], "rosuvastatin": ["розувастатин", "крестор"], "metoprolol": ["metoprolol"],
    "doxycycline": ["doxycycline"], "chlorhexidine": ["chlorhexidine"],
}

# ------------------------------------------------------------------ spoken number parsing
RU_UNITS = {"ноль": 0, "один": 1, "одна": 1, "одну": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
            "шесть": 6, "семь": 7, "восемь": 8, "девять": 9}
RU_TEENS = {"десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
            "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19}
RU_TENS = {"двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70,
           "восемьдесят": 80, "девяносто": 90}
RU_HUNDREDS = {"сто": 100, "двести": 200, "триста": 300}

EN_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9}
EN_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
            "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
           "ninety": 90}


def ru_numbers(text):
    toks = text.split()
    vals = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in RU_UNITS or t in RU_TEENS or t in RU_TENS or t in RU_HUNDREDS:
            n = 0
            if t in RU_HUNDREDS:
                n += RU_HUNDREDS[t]; i += 1
            if i < len(toks) and toks[i] in RU_TENS:
                n += RU_TENS[toks[i]]; i += 1
            if i < len(toks) and toks[i] in RU_TEENS and n % 100 == 0:
                n += RU_TEENS[toks[i]]; i += 1
            elif i < len(toks) and toks[i] in RU_UNITS:
                n += RU_UNITS[toks[i]]; i += 1
            vals.append(n)
            # decimal "N и D [десятых]"
            if i + 1 < len(toks) and toks[i] == "и" and toks[i + 1] in RU_UNITS:
                vals.append(round(n + RU_UNITS[toks[i + 1]] / 10, 1))
                i += 2
            continue
        i += 1
    return vals


def en_numbers(text):
    toks = text.split()
    vals = []
    i = 0

    def small(j):
        """parse 0..99 at j -> (value, next j) or (None, j)"""
        if j < len(toks) and toks[j] in EN_TEENS:
            return EN_TEENS[toks[j]], j + 1
        if j < len(toks) and toks[j] in EN_TENS:
            v = EN_TENS[toks[j]]; j += 1
            if j < len(toks) and toks[j] in EN_UNITS and toks[j] != "zero":
                v += EN_UNITS[toks[j]]; j += 1
            return v, j
        if j < len(toks) and toks[j] in EN_UNITS:
            return EN_UNITS[toks[j]], j + 1
        return None, j

    while i < len(toks):
        t = toks[i]
        start_a = t == "a" and i + 1 < len(toks) and toks[i + 1] == "hundred"
        if start_a or t in EN_UNITS or t in EN_TEENS or t in EN_TENS:
            if start_a:
                n, j = 1, i + 1
            else:
                n, j = small(i)
            if j < len(toks) and toks[j] == "hundred":
                n *= 100; j += 1
                if j < len(toks) and toks[j] == "and" and j + 1 < len(toks) and (
                        toks[j + 1] in EN_UNITS or toks[j + 1] in EN_TEENS or toks[j + 1] in EN_TENS):
                    j += 1
                s, j2 = small(j)
                if s is not None:
                    n += s; j = j2
            elif 1 <= n <= 2 and j < len(toks) and toks[j] in EN_TENS and t in EN_UNITS:
                # colloquial "one forty" / "one thirty eight"
                s, j = small(j)
                n = n * 100 + s
            vals.append(n)
            if j + 1 < len(toks) and toks[j] == "point" and toks[j + 1] in EN_UNITS:
                vals.append(round(n + EN_UNITS[toks[j + 1]] / 10, 1)); j += 2
            elif j + 2 < len(toks) and toks[j:j + 3] == ["and", "a", "half"]:
                vals.append(n + 0.5); j += 3
            i = j
            continue
        i += 1
    return vals


def f2c(f):
    return round((f - 32) * 5 / 9 + 1e-9, 1)


def main():
    errors = []
    langs = Counter()
    triage = Counter()
    fu = Counter()
    sick = Counter()
    n_meds = 0
    files = sorted(glob.glob(os.path.join(OUT, "*.json")))
    for jp in files:
        name = os.path.basename(jp)[:-5]
        tp = jp[:-5] + ".txt"
        lang = name[:2]
        langs[lang] += 1
        if not re.match(r"^(ru|en)\d\d_[a-z0-9_]+$", name):
            errors.append((name, "bad name"))
        if not os.path.exists(tp):
            errors.append((name, "no txt")); continue
        try:
            lab = json.load(open(jp, encoding="utf-8"))
        except Exception as e:  # noqa: BLE001
            errors.append((name, "json: %s" % e)); continue
        lines = open(tp, encoding="utf-8").read().splitlines()
        # ---- transcript format
        if not 4 <= len(lines) <= 14:
            errors.append((name, "line count %d" % len(lines)))
        charset = r"[a-z' ]+" if lang == "en" else r"[а-яё ]+"
        for ln in lines:
            m = re.match(r"^(doctor|patient): (.+)$", ln)
            if not m:
                errors.append((name, "bad line: " + ln)); continue
            if not re.fullmatch(charset, m.group(2)) or "  " in m.group(2):
                errors.append((name, "bad chars: " + ln))
        text = " ".join(l.split(": ", 1)[1] for l in lines)
        # ---- keys
        keys = set(lab)
        if not TOP_KEYS <= keys or keys - TOP_KEYS - {"sick_leave"}:
            errors.append((name, "keys %s" % sorted(keys)))
        if not isinstance(lab.get("scenario"), str) or not lab["scenario"]:
            errors.append((name, "scenario"))
        dx = lab.get("diagnosis", {}).get("icd10_any")
        if not dx or not all(re.fullmatch(r"[A-Z]\d\d(\.\d{1,2})?", c) for c in dx):
            errors.append((name, "icd %s" % dx))
        v = lab.get("vitals", {})
        if set(v) - VITAL_KEYS:
            errors.append((name, "vital keys %s" % v))
        nums = en_numbers(text) if lang == "en" else ru_numbers(text)
        for k, val in v.items():
            ok = val in nums
            if k == "temperature_c" and not ok:
                ok = any(93 <= x <= 110 and f2c(x) == val for x in nums)
            if not ok:
                errors.append((name, "vital %s=%s not said (%s)" % (k, val, nums)))
        if "temperature_c" in v and not 34 <= v["temperature_c"] <= 42:
            errors.append((name, "temp range"))
        if lab.get("triage") not in ("green", "yellow", "red"):
            errors.append((name, "triage"))
        triage[lab.get("triage")] += 1
        f = lab.get("follow_up", {})
        if set(f) != {"kind", "in_days"} or f["kind"] not in ("none", "telemedicine", "in_person", "ambulance"):
            errors.append((name, "follow_up %s" % f))
        if f.get("kind") == "none" and f.get("in_days") is not None:
            errors.append((name, "none with days"))
        if f.get("kind") == "ambulance" and f.get("in_days") != 0:
            errors.append((name, "ambulance days"))
        fu[f.get("kind")] += 1
        for med in lab.get("medications", []):
            n_meds += 1
            if set(med) - MED_KEYS or not {"name", "renewal"} <= set(med):
                errors.append((name, "med keys %s" % med))
            if med["name"] != med["name"].lower():
                errors.append((name, "med case"))
            forms = MED_SAID.get(med["name"])
            if not forms or not any(fm in text for fm in forms):
                errors.append((name, "med not said: %s" % med["name"]))
            if "frequency" in med and not re.fullmatch(r"\d+ times a day", med["frequency"]):
                errors.append((name, "freq %s" % med))
            if "duration_days" in med and not isinstance(med["duration_days"], int):
                errors.append((name, "duration %s" % med))
            if "dose" in med and not re.fullmatch(r"\d+(\.\d+)? (mg|g|mcg|ml|puffs|sprays|units)", med["dose"]):
                errors.append((name, "dose %s" % med))
        for c in lab.get("complaints", []):
            if c not in COMPLAINTS:
                errors.append((name, "complaint %s" % c))
        if len(set(lab.get("complaints", []))) != len(lab.get("complaints", [])):
            errors.append((name, "dup complaint"))
        if "sick_leave" in lab:
            if lab["sick_leave"] != {"action": lab["sick_leave"].get("action")} or \
                    lab["sick_leave"]["action"] not in ("open", "extend", "close"):
                errors.append((name, "sick_leave"))
            sick[lab["sick_leave"]["action"]] += 1
    txts = {os.path.basename(p)[:-4] for p in glob.glob(os.path.join(OUT, "*.txt"))}
    jsons = {os.path.basename(p)[:-5] for p in files}
    for orphan in txts ^ jsons:
        errors.append((orphan, "unpaired file"))
    print("cases:", dict(langs), "total", sum(langs.values()))
    print("triage:", dict(triage))
    print("follow_up:", dict(fu))
    print("sick_leave:", dict(sick))
    print("medications:", n_meds)
    for e in errors:
        print("ERROR", *e)
    print("errors:", len(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
