import json,glob,re,statistics,collections
vals=collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob('/tmp/ab/*-*.log')):
    b=f.split('/')[-1].split('-')[0]
    for line in open(f):
        m=re.match(r'\[[\d:]+\] (\w+) #1: (\{.*\})',line)
        if not m: continue
        d=json.loads(m.group(2)); case=m.group(1)
        v=d.get('per_s') or d.get('runs_per_s')
        vals[case][b].append((v,d.get('flared_cpu_us_per_job')))
for case in vals:
    base=vals[case]['base']; new=vals[case]['new']
    mb=statistics.median(x[0] for x in base); mn=statistics.median(x[0] for x in new)
    cb=statistics.median(x[1] for x in base); cn=statistics.median(x[1] for x in new)
    print(f"| {case} | {mb:,.0f} ({len(base)}) | {mn:,.0f} ({len(new)}) | {mn/mb:.2f}x | {cb:.0f} | {cn:.0f} |")
