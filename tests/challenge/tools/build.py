"""Write NAME.txt / NAME.json pairs into /work/challenge from cases_ru.py and cases_en.py."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import common  # noqa: E402
import cases_ru  # noqa: E402,F401
import cases_en  # noqa: E402,F401


def main():
    names = set()
    for case in common.CASES:
        name = case["name"]
        assert name not in names, name
        names.add(name)
        with open(os.path.join(OUT, name + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(case["lines"]) + "\n")
        with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(case["labels"], f, ensure_ascii=False, indent=1)
            f.write("\n")
    print("wrote", len(common.CASES), "cases")


if __name__ == "__main__":
    main()
