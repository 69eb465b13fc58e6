"""Writes protocol_writer/vocabulary/drugs_en.json: English medicine names -> international name.

From drug-named-entity-recognition (MIT; its dictionary is built from MeSH, DrugBank's open
vocabulary, MedlinePlus and the NHS), keeping medicines a patient is prescribed (those with a
MedlinePlus or NHS page), each name and brand as it is said, and leaving out names that are
also ordinary English words (the system's word list, when there is one) or shorter than
four letters. The platform reads the JSON; only this script needs the library (a test extra):

    .venv/bin/python scripts/build_drug_lexicon.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import drug_named_entity_recognition.drugs_finder as library

OUT = Path(__file__).resolve().parents[1] / "protocol_writer" / "vocabulary" / "drugs_en.json"
WORDS = Path("/usr/share/dict/american-english-large")
# The library's name -> the international non-proprietary name the protocol writer uses.
INN = {
    "acetaminophen": "paracetamol",
    "albuterol": "salbutamol",
    "aspirin": "acetylsalicylic acid",
    "hydroxyurea": "hydroxycarbamide",
    "glyburide": "glibenclamide",
    "thyroxine": "levothyroxine",
    "cholecalciferol": "colecalciferol",
    "ergocalciferol": "colecalciferol",
    "furosemide": "furosemide",
    "torsemide": "torasemide",
    "amoxicillin-potassium clavulanate combination": "amoxicillin clavulanate",
    "epinephrine": "adrenaline",
    "nicotine patch": "nicotine",
}


def _common_words() -> set[str]:
    if not WORDS.exists():
        return set()
    # Proper nouns (capitalised) are brands as often as words: only lower-case entries count.
    return {w.strip() for w in WORDS.read_text(encoding="utf-8").splitlines() if w.islower()}


def main() -> None:
    common = _common_words() | set(library.stopwords)
    # Which of them only an oncologist renews is not here: the library's MeSH trees are
    # chemical, not pharmacological, so it cannot tell (docetaxel came out ordinary). That
    # flag lives in the hand-checked drugs.json, by the same international names.
    kept: set[str] = set()
    forms: dict[str, str] = {}
    for canonical, data in library.drug_canonical_to_data.items():
        if not (data.get("medline_plus_id") or data.get("nhs_url")):
            continue
        name = INN.get(canonical.lower(), canonical.lower())
        if not re.fullmatch(r"[a-z][a-z ]+", name) or " and " in name:
            continue  # combinations ("a, b, and c") and salts with symbols
        kept.add(name)
    for variant, canonicals in library.drug_variant_to_canonical.items():
        said = re.sub(r"[^a-z ]", " ", variant.lower()).split()
        form = " ".join(said)
        names = {INN.get(c.lower(), c.lower()) for c in canonicals} & kept
        if len(names) != 1 or len(form) < 4 or form in common or len(said) > 3:
            continue
        forms[form] = names.pop()
    table: dict[str, dict[str, list[str]]] = {}
    for form, name in sorted(forms.items()):
        table.setdefault(name, {"forms": []})["forms"].append(form)
    document = {
        "_comment": __doc__.split("\n\n")[0] + " Generated: do not edit by hand.",
        **dict(sorted(table.items())),
    }
    OUT.write_text(
        "{\n"
        + ",\n".join(
            f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in document.items()
        )
        + "\n}\n",
        encoding="utf-8",
    )
    print(f"{len(table)} medicines, {len(forms)} names -> {OUT}")


if __name__ == "__main__":
    main()
