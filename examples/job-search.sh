#!/usr/bin/env bash
# A whole job search, scripted: three applications in November 2026, an interview, a
# rejection, an offer negotiated and accepted, and the paperwork at the end (stats, the
# activity report for the benefits office, a backup restored and verified).
#
# Run it with afterview installed:   bash examples/job-search.sh
# It works in a temporary folder and removes it when done; your own database is not touched.
# The clock is moved along the story with AFTERVIEW_NOW, so every deadline is reproducible.
set -euo pipefail

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
export AFTERVIEW_DB="$workdir/search.db"
export NO_COLOR=1

day() {  # move the clock and say where we are in the story
    export AFTERVIEW_NOW="$1"
    printf '\n== %s: %s\n' "${1%%T*}" "$2"
}

day 2026-11-02T09:30:00-05:00 "settings, and three applications"
afterview config set timezone America/New_York
afterview config set country US          # business days skip US holidays (Veterans Day: 11 Nov)
afterview apply Acme "Backend Engineer" --source referral --contact "Dana Ruiz" \
    --url https://acme.example/jobs/42
afterview apply Globex "Data Engineer" --source "job board"
afterview apply Initech "Site Reliability Engineer" --location Remote

day 2026-11-05T11:00:00-05:00 "Acme invites me to a video interview"
afterview interview acme --on 2026-11-10T14:00 --kind video --with "Dana Ruiz"

day 2026-11-10T16:00:00-05:00 "the interview happened: debrief while it is fresh"
afterview debrief acme --with "Dana Ruiz" \
    --question "Tell me about an outage you handled" \
    --answer "The queue backlog of March" \
    --better "Lead with the numbers: 40 minutes to recover, zero data lost"
afterview agenda

day 2026-11-10T19:00:00-05:00 "thank-you note sent the same evening"
afterview thanks acme --to "Dana Ruiz"

day 2026-11-12T10:00:00-05:00 "Initech says no; ask what would have made the difference"
afterview declined initech --reason "position filled internally"
afterview feedback initech --requested

day 2026-11-17T09:15:00-05:00 "no word from Globex: the follow-up task is due, so follow up"
afterview agenda
afterview follow-up globex --note "asked about the timeline"

day 2026-11-18T15:00:00-05:00 "Acme makes an offer"
afterview offer acme --salary 140000 --signing 10000 --respond-by 2026-11-25

day 2026-11-19T10:00:00-05:00 "counter with the market data"
afterview counter acme --salary 155000 --reason market --note "two offers at 150-160k for this level"

day 2026-11-20T11:00:00-05:00 "Acme comes back with a revised offer; thank them for it"
afterview offer acme --salary 150000 --signing 15000
afterview thanks acme --to "Dana Ruiz"
afterview compare

day 2026-11-23T09:30:00-05:00 "accept, and withdraw elsewhere as the agenda says"
afterview accept acme --start 2026-12-14
afterview agenda
afterview withdraw globex --reason "accepted another offer"
afterview list

day 2026-11-23T12:00:00-05:00 "the paperwork"
afterview stats
afterview stats --sankey
afterview report --from 2026-11-01
afterview export --format json --output "$workdir/backup.json"
AFTERVIEW_DB="$workdir/restored.db" afterview import "$workdir/backup.json"
AFTERVIEW_DB="$workdir/restored.db" afterview verify
afterview verify
