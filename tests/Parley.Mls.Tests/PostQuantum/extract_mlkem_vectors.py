# Extracts the ML-KEM-768 vectors the tests use from C2SP/wycheproof (testvectors_v1, FIPS 203 final):
# the first 16 valid cases of each file and the first 4 invalid cases of each kind (comment), unchanged. Run from a wycheproof checkout:
#   python3 extract_mlkem_vectors.py /path/to/wycheproof > mlkem768-wycheproof.json
import json
import sys

root = sys.argv[1]
out = {}
for name in ("mlkem_768_test", "mlkem_768_encaps_test"):
    with open(f"{root}/testvectors_v1/{name}.json") as f:
        data = json.load(f)
    tests = [t for g in data["testGroups"] for t in g["tests"]]
    valid = [t for t in tests if t["result"] == "valid"][:16]
    invalid, kinds = [], {}
    for t in tests:
        kind = t.get("comment", "") + "/" + ",".join(t.get("flags", []))
        if t["result"] != "valid" and kinds.get(kind, 0) < 4:
            kinds[kind] = kinds.get(kind, 0) + 1
            invalid.append(t)
    out[name] = valid + invalid
json.dump(out, sys.stdout, indent=1)
print()
