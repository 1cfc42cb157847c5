#!/usr/bin/env bash
# usage: mig_demo.sh <migrating flared binary> ; prints the longest create during its migration
set -u
BIN=$1
URI=$(cat /tmp/pgM.uri)
DB=mig$RANDOM
PSQL() { su postgres -s /bin/sh -c "psql -q -X -h 127.0.0.1 -p $(echo $URI | sed 's/.*:\([0-9]*\)\/.*/\1/') -U flare -d $DB -c \"$1\"" ; }
ADMIN="psql -q -X -h 127.0.0.1 -p $(echo $URI | sed 's/.*:\([0-9]*\)\/.*/\1/') -U flare -d flare"
su postgres -s /bin/sh -c "$ADMIN -c 'CREATE DATABASE $DB'" 
U=${URI%/*}/$DB
rm -rf /tmp/mdemo && mkdir -p /tmp/mdemo
/tmp/ab/flared.online --listen 127.0.0.1:0 --data-dir /tmp/mdemo/c --log-level warn --db "$U" > /tmp/mdemo/c.log 2>&1 &
C=$!
for i in $(seq 50); do [ -s /tmp/mdemo/c/flared.addr ] && break; sleep 0.2; done
ADDR=$(cat /tmp/mdemo/c/flared.addr); KEY=$(cat /tmp/mdemo/c/admin.key)
/work/main/build/bench/flare_load batch --n 1000000 --batch 1000 --conns 1 --addr $ADDR --key $KEY --cap-s 120 | cut -c1-120
# back to version 9: the creation index newest-first again, migration 10 unrecorded
PSQL "DROP INDEX jobs_by_created; CREATE INDEX jobs_by_created ON jobs(project_id, created_at DESC, id DESC); DELETE FROM schema_migrations WHERE version = 10"
cp /tmp/mdemo/c/webhook.key /tmp/mdemo/wk 2>/dev/null
# creates through node C, one at a time, while node B starts and migrates
/work/main/build/bench/flare_load create --n 200000 --conns 1 --addr $ADDR --key $KEY --cap-s 25 > /tmp/mdemo/load.json &
L=$!
sleep 3
START=$(date +%s.%N)
$BIN --listen 127.0.0.1:0 --data-dir /tmp/mdemo/b --log-level info --db "$U" --webhook-key-file /tmp/mdemo/wk > /tmp/mdemo/b.log 2>&1 &
B=$!
for i in $(seq 300); do [ -s /tmp/mdemo/b/flared.addr ] && break; sleep 0.1; done
echo "node B answering after $(echo "$(date +%s.%N) - $START" | bc) s"
wait $L
cut -c1-400 /tmp/mdemo/load.json
grep -i "migration" /tmp/mdemo/b.log | cut -c1-150
kill $B $C; wait 2>/dev/null
su postgres -s /bin/sh -c "$ADMIN -c 'DROP DATABASE $DB'"
