#!/usr/bin/env python3
# Extracts the base-mode (mode 0) test vectors of RFC 9180 Appendix A from the markdown into JSON.
import json, re, sys
lines = open(sys.argv[2] if len(sys.argv) > 2 else '../../../../shared/specs/rfc9180-hpke.md').read().split('\n')

def parse_block(start):
    """Parses a ~~~ block starting after line index start; returns (list of records, end index)."""
    records, cur, key = [], {}, None
    i = start
    while lines[i].strip() != '~~~':
        line = lines[i].strip()
        i += 1
        if line == '':
            if cur: records.append(cur); cur = {}; key = None
            continue
        m = re.match(r'^([A-Za-z_ ]+):\s*(.*)$', line)
        if m:
            key = m.group(1).strip(); cur[key] = m.group(2).strip()
        else:
            assert key is not None and re.fullmatch(r'[0-9a-f]+', line), line
            cur[key] += line
    if cur: records.append(cur)
    return records, i + 1

out, title, i = [], None, 0
while i < len(lines):
    line = lines[i]
    if line.startswith('## ') and 'DHKEM' in line:
        title = line[3:].strip()
    if line.startswith('### ') and line.strip() == '### Base Setup Information':
        assert lines[i + 1].strip() == '~~~'
        setup, i = parse_block(i + 2)
        setup = setup[0]
        assert setup['mode'] == '0'
        vec = {'name': title}
        for k, v in setup.items():
            vec[k] = int(v) if k in ('mode', 'kem_id', 'kdf_id', 'aead_id') else v
        vec['encryptions'] = []; vec['exports'] = []
        # following #### sections until next ### or ##
        while i < len(lines) and not lines[i].startswith('### ') and not lines[i].startswith('## '):
            if lines[i].startswith('#### '):
                kind = lines[i][5:].strip()
                j = i + 1
                while lines[j].strip() != '~~~': j += 1
                recs, i = parse_block(j + 1)
                if kind == 'Encryptions':
                    vec['encryptions'] = [{'seq': int(r['sequence number']), 'pt': r['pt'], 'aad': r['aad'], 'nonce': r['nonce'], 'ct': r['ct']} for r in recs]
                elif kind == 'Exported Values':
                    vec['exports'] = [{'exporter_context': r['exporter_context'], 'L': int(r['L']), 'exported_value': r['exported_value']} for r in recs]
                else:
                    raise Exception(kind)
            else:
                i += 1
        out.append(vec)
        continue
    i += 1
json.dump(out, open(sys.argv[1] if len(sys.argv) > 1 else 'hpke-base-vectors.json', 'w'), indent=1)
for v in out: print(v['name'], v['kem_id'], v['kdf_id'], v['aead_id'], len(v['encryptions']), len(v['exports']))
