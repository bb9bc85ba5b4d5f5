"""The officer worklist and the reports dashboard with a million dossiers in PostgreSQL.

``python -m bench.scale`` (and ``make bench``, after its PostgreSQL part): on a throw-away
PostgreSQL, migrate and ``motcua setup --demo``, then

1. generate a small batch of dossiers (``BENCH_SCALE_SMALL``, 10,000) and count the database
   queries of every measured page in-process (``CaptureQueriesContext``);
2. generate the rest up to ``BENCH_DOSSIERS`` (1,000,000), ANALYZE, count the queries again;
3. serve with gunicorn and request every page over HTTP with a signed-in session cookie
   (``BENCH_SCALE_REQUESTS`` after ``BENCH_SCALE_WARMUP`` requests, one client), and print
   p50/p95/p99 per page beside the two query counts.

After each batch the reports' day totals (``motcua.reports.totals.rebuild``, what their
migration runs) are recomputed from the facts rows, and timed apart (``totals_seconds``).

The generator writes the tables with SQL directly (``INSERT … SELECT … FROM generate_series``,
server-side): running the services a million times would take hours. It writes what the
services write for the same history, as the reports and the worklist read it: the dossier
row with its dates, state, assignee and holder; its history events; the appointment of each
reception; supplement requests; the invoice; the attached file, the receipt slip and the
result; the file and result transfers of land dossiers; ratings and complaints; one delivered
status message to the national portal. Audit rows and notices are not written (neither page
reads them). The mix: 135 communes (receipt at the commune's center, competent the commune's
People's Committee for civil-status copies, the land branch of the former province for land
dossiers), about 18 months of submissions up to now, 2% refused, 3% with a supplement at
reception, 1% with a supplement after appraisal, 1% withdrawn, 0.5% stopped, about 7%
resolved late, 1.5% of the last two months' dossiers stalled in processing, and each commune's
ten latest ordinary dossiers open, two in each working state.

Figures go to bench/results.json under "scale" (merged with what is there).

Knobs for working on one page (nothing is saved to bench/results.json with them):
``BENCH_SCALE_PAGES`` measures only the pages whose label contains it (e.g. ``dashboard``);
``BENCH_SCALE_KEEP=1`` leaves the throw-away cluster running with its data and prints its URL;
``BENCH_SCALE_DATABASE`` (that URL) measures a database generated before, as it is (no
migration, no generation, the cluster left running; stop it with
``scripts/pg-throwaway.sh stop PORT``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", "1000000"))
SMALL = int(os.environ.get("BENCH_SCALE_SMALL", "10000"))
REQUESTS = int(os.environ.get("BENCH_SCALE_REQUESTS", "200"))
WARMUP = int(os.environ.get("BENCH_SCALE_WARMUP", "20"))
# A page slower than this per URL is measured with fewer requests (said in the results).
URL_SECONDS = float(os.environ.get("BENCH_SCALE_URL_SECONDS", "90"))
PAGES = os.environ.get("BENCH_SCALE_PAGES", "")
KEEP = os.environ.get("BENCH_SCALE_KEEP", "") == "1"
DATABASE = os.environ.get("BENCH_SCALE_DATABASE", "")
RESULTS = ROOT / "bench" / "results.json"
SLOTS = 12  # history events reserved per dossier (ids are dossier-derived)

UNITS_SQL = """
CREATE TEMP TABLE bench_units AS
SELECT row_number() OVER (ORDER BY w.code) - 1 AS k, w.code AS ward,
       center.id AS center, pc.id AS pc,
       (SELECT b.id FROM org_agency b WHERE b.kind = 'land_branch'
         ORDER BY (b.name LIKE '%%Quy Nh%%') = (w.former_province = 'binh_dinh') DESC, b.id
         LIMIT 1) AS branch,
       (SELECT m.user_id FROM org_membership m WHERE m.agency_id = center.id
         AND m.role = 'receiver' ORDER BY m.id LIMIT 1) AS receiver,
       (SELECT m.user_id FROM org_membership m WHERE m.agency_id = pc.id
         AND m.role = 'specialist' ORDER BY m.id LIMIT 1) AS pc_specialist,
       (SELECT m.user_id FROM org_membership m WHERE m.agency_id = pc.id
         AND m.role = 'leader' ORDER BY m.id LIMIT 1) AS pc_leader
FROM org_ward w
JOIN org_agency center ON center.ward_id = w.code AND center.kind = 'commune_center'
JOIN org_agency pc ON pc.ward_id = w.code AND pc.kind = 'commune_pc'
WHERE w.province_id = %(province)s
"""

# One row per dossier with every milestone of its life, as if nothing stopped it; the state
# is then the last milestone at or before now. Times in hours/days from the submission.
PLAN_SQL = """
CREATE UNLOGGED TABLE bench_plan AS
WITH r AS (
  SELECT g, random() AS r_proc, random() AS r_unit, random() AS r_age, random() AS r_out,
         random() AS r_dur, random() AS r_chan, random() AS r_rate, random() AS r_misc
  FROM generate_series(1, %(count)s) g
), a AS (
  SELECT r.*,
         floor(r_unit * (SELECT count(*) FROM bench_units))::int AS k,
         CASE WHEN r_proc < 0.75 THEN 'civil' WHEN r_proc < 0.85 THEN 'split' ELSE 'change' END
           AS kind,
         %(now)s::timestamptz - r_age * interval '548 days' AS t_sub,
         CASE WHEN r_chan < 0.6 THEN 2 WHEN r_chan < 0.97 THEN 1 ELSE 3 END AS channel
  FROM r
), b AS (
  SELECT a.*,
    CASE WHEN r_out < 0.02 THEN 'refused' WHEN r_out < 0.05 THEN 'rec_supp'
         WHEN r_out < 0.06 THEN 'withdrawn' WHEN r_out < 0.07 THEN 'appr_supp'
         WHEN r_out < 0.075 THEN 'stopped'
         WHEN r_out < 0.09 AND t_sub > %(now)s::timestamptz - interval '60 days' THEN 'stalled'
         ELSE 'normal' END AS outcome,
    CASE kind WHEN 'civil' THEN interval '1 day' WHEN 'split' THEN interval '17 days'
              ELSE interval '12 days' END AS span
  FROM a
), c AS (
  SELECT b.*,
    CASE WHEN outcome = 'rec_supp' THEN t_sub + interval '3 hours' END AS t_sreq,
    CASE WHEN outcome = 'rec_supp' THEN t_sub + interval '2 days 3 hours' END AS t_sdone,
    CASE WHEN outcome = 'refused' THEN t_sub + interval '3 hours' END AS t_ref,
    CASE WHEN outcome = 'refused' THEN NULL
         WHEN outcome = 'rec_supp' THEN t_sub + interval '2 days 5 hours'
         ELSE t_sub + interval '2 hours' END AS t_acc
  FROM b
), d AS (
  SELECT c.*, t_acc + span AS t_due,
    CASE WHEN kind = 'civil' THEN NULL ELSE t_acc + interval '2 hours' END AS t_fsent,
    CASE WHEN kind = 'civil' THEN t_acc ELSE t_acc + interval '1 day' END AS t_frecv,
    CASE WHEN kind = 'civil' THEN t_acc + interval '1 hour'
         ELSE t_acc + interval '1 day 2 hours' END AS t_proc,
    CASE WHEN outcome = 'appr_supp' THEN interval '2 days' ELSE interval '0' END AS supp_time
  FROM c
), e AS (
  SELECT d.*,
    CASE WHEN outcome = 'appr_supp' THEN t_proc + interval '2 hours' END AS t_areq,
    CASE WHEN outcome = 'appr_supp' THEN t_proc + interval '2 hours' + supp_time END AS t_adone,
    -- ~6.7%% end after the appointment (0.3 + 0.75 r > 1).
    t_acc + span * (0.3 + 0.75 * r_dur) + supp_time AS t_end
  FROM d
), f AS (
  SELECT e.*,
    CASE WHEN outcome IN ('refused', 'withdrawn', 'stalled', 'stopped') THEN NULL
         ELSE t_end - interval '2 hours' END AS t_subm,
    CASE WHEN outcome IN ('refused', 'withdrawn', 'stalled', 'stopped') THEN NULL
         ELSE t_end END AS t_appr,
    CASE WHEN outcome = 'stopped' THEN t_end END AS t_stop,
    CASE WHEN outcome = 'withdrawn' THEN t_acc + span * 0.2 END AS t_wd
  FROM e
), g AS (
  SELECT f.*,
    CASE WHEN t_appr IS NULL OR kind = 'civil' THEN NULL
         ELSE t_appr + interval '2 hours' END AS t_rsent,
    CASE WHEN t_appr IS NULL THEN NULL WHEN kind = 'civil' THEN t_appr
         ELSE t_appr + interval '1 day' END AS t_rrecv,
    CASE WHEN t_appr IS NULL THEN NULL
         WHEN kind = 'civil' THEN t_appr + interval '3 hours'
         ELSE t_appr + interval '1 day' + (1 + 5 * r_misc) * interval '1 day' END AS t_ret
  FROM f
)
-- Ids in the order of submission, as the services give them: a period's rows lie together.
SELECT %(base)s + row_number() OVER (ORDER BY g.t_sub) AS id, g.*, u.center, u.pc, u.branch,
       u.receiver, u.pc_specialist, u.pc_leader, u.ward,
       CASE WHEN kind = 'civil' THEN u.pc ELSE u.branch END AS competent,
       CASE WHEN kind = 'civil' THEN u.pc_specialist ELSE bs.user_id END AS specialist,
       CASE WHEN kind = 'civil' THEN u.pc_leader ELSE bl.user_id END AS leader,
       p.id AS procedure
FROM g JOIN bench_units u ON u.k = g.k
JOIN catalog_procedure p ON p.is_current AND p.code = CASE g.kind WHEN 'civil' THEN '2.000635'
  WHEN 'split' THEN '1.012784' ELSE '1.013831' END
LEFT JOIN LATERAL (SELECT m.user_id FROM org_membership m WHERE m.agency_id = u.branch
  AND m.role = 'specialist' ORDER BY m.id LIMIT 1) bs ON true
LEFT JOIN LATERAL (SELECT m.user_id FROM org_membership m WHERE m.agency_id = u.branch
  AND m.role = 'leader' ORDER BY m.id LIMIT 1) bl ON true
"""

# Milestones past now did not happen: null them, then derive the state.
CLIP_SQL = """
UPDATE bench_plan SET
  t_sreq = CASE WHEN t_sreq <= %(now)s THEN t_sreq END,
  t_sdone = CASE WHEN t_sdone <= %(now)s THEN t_sdone END,
  t_ref = CASE WHEN t_ref <= %(now)s THEN t_ref END,
  t_acc = CASE WHEN t_acc <= %(now)s THEN t_acc END,
  t_fsent = CASE WHEN t_fsent <= %(now)s THEN t_fsent END,
  t_frecv = CASE WHEN t_frecv <= %(now)s THEN t_frecv END,
  t_proc = CASE WHEN t_proc <= %(now)s THEN t_proc END,
  t_areq = CASE WHEN t_areq <= %(now)s THEN t_areq END,
  t_adone = CASE WHEN t_adone <= %(now)s THEN t_adone END,
  t_subm = CASE WHEN t_subm <= %(now)s THEN t_subm END,
  t_appr = CASE WHEN t_appr <= %(now)s THEN t_appr END,
  t_stop = CASE WHEN t_stop <= %(now)s THEN t_stop END,
  t_wd = CASE WHEN t_wd <= %(now)s THEN t_wd END,
  t_rsent = CASE WHEN t_rsent <= %(now)s THEN t_rsent END,
  t_rrecv = CASE WHEN t_rrecv <= %(now)s THEN t_rrecv END,
  t_ret = CASE WHEN t_ret <= %(now)s THEN t_ret END;
ALTER TABLE bench_plan ADD COLUMN state text;
-- Every commune's ten latest ordinary dossiers are still open, two in each working state
-- (new, accepted, in processing, awaiting approval, approved and not yet handed over): the
-- backlog a living system has, at whatever size.
WITH latest AS (
  SELECT id, row_number() OVER (PARTITION BY k ORDER BY t_sub DESC) AS rank
  FROM bench_plan WHERE outcome = 'normal'
)
UPDATE bench_plan p SET
  t_acc = CASE WHEN (l.rank - 1) %% 5 >= 1 THEN t_acc END,
  t_fsent = CASE WHEN (l.rank - 1) %% 5 >= 1 THEN t_fsent END,
  t_frecv = CASE WHEN (l.rank - 1) %% 5 >= 1 THEN t_frecv END,
  t_proc = CASE WHEN (l.rank - 1) %% 5 >= 2 THEN t_proc END,
  t_subm = CASE WHEN (l.rank - 1) %% 5 >= 3 THEN t_subm END,
  t_appr = CASE WHEN (l.rank - 1) %% 5 >= 4 THEN t_appr END,
  t_rsent = CASE WHEN (l.rank - 1) %% 5 >= 4 THEN t_rsent END,
  t_rrecv = CASE WHEN (l.rank - 1) %% 5 >= 4 THEN t_rrecv END,
  t_ret = NULL
FROM latest l WHERE p.id = l.id AND l.rank <= 10;
UPDATE bench_plan SET state = CASE
  WHEN t_ret IS NOT NULL THEN 'returned'
  WHEN t_wd IS NOT NULL THEN 'withdrawn'
  WHEN t_stop IS NOT NULL THEN 'stopped'
  WHEN t_appr IS NOT NULL THEN 'approved'
  WHEN t_subm IS NOT NULL THEN 'awaiting_approval'
  WHEN t_areq IS NOT NULL AND t_adone IS NULL THEN 'supplement_requested'
  WHEN t_proc IS NOT NULL THEN 'processing'
  WHEN t_acc IS NOT NULL THEN 'accepted'
  WHEN t_ref IS NOT NULL THEN 'refused'
  WHEN t_sreq IS NOT NULL AND t_sdone IS NULL THEN 'supplement_requested'
  ELSE 'submitted' END;
"""

DOSSIER_SQL = """
INSERT INTO dossiers_dossier (
  id, code, state, channel, applicant_name, applicant_id_number, applicant_phone,
  applicant_email, applicant_address, summary, form_data, submitted_at, accepted_at,
  counting_starts, due_at, finished_at, returned_at, closed_at, supplement_count,
  processing_note, decision_note, access_token, idempotency_key, updated_at, assignee_id,
  competent_agency_id, procedure_id, receiving_agency_id, competent_received_at,
  due_soon_notified_at, first_appointment_at, holder_id, original_due_at, overdue_notified_at,
  rescheduled_at)
SELECT id, 'B52.' || ward || '-' || to_char(t_sub AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYMMDD')
         || '-' || id,
  state, channel, 'Người nộp ' || id, '0640' || lpad((id %% 100000000)::text, 8, '0'),
  '0905' || lpad((id %% 1000000)::text, 6, '0'), '', 'Gia Lai',
  CASE kind WHEN 'civil' THEN 'Cấp bản sao trích lục hộ tịch' ELSE 'Hồ sơ đất đai' END,
  '{}'::jsonb, t_sub, t_acc, (t_acc AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
  CASE WHEN t_acc IS NOT NULL THEN t_due END,
  COALESCE(t_appr, t_stop), t_ret, COALESCE(t_ret, t_wd, t_stop, t_ref),
  (t_sreq IS NOT NULL)::int + (t_areq IS NOT NULL)::int,
  '', '', md5('a' || id) || md5('b' || id), NULL, %(now)s,
  CASE WHEN t_proc IS NOT NULL THEN specialist END,
  competent, procedure, center, t_frecv, NULL, NULL,
  CASE WHEN kind = 'civil' OR t_acc IS NULL THEN NULL
       WHEN t_rrecv IS NOT NULL THEN center
       WHEN t_frecv IS NOT NULL THEN branch ELSE center END,
  NULL, NULL, NULL
FROM bench_plan
"""

# (slot, action, from, to, time, acting user, acting agency); one history row each.
EVENTS = [
    (0, "submit", "''", "'submitted'", "t_sub", "NULL", "NULL"),
    (1, "request_supplement", "'submitted'", "'supplement_requested'", "t_sreq", "receiver",
     "center"),
    (2, "supplement", "'supplement_requested'", "'submitted'", "t_sdone", "NULL", "NULL"),
    (3, "refuse", "'submitted'", "'refused'", "t_ref", "receiver", "center"),
    (3, "accept", "'submitted'", "'accepted'", "t_acc", "receiver", "center"),
    (4, "start_processing", "'accepted'", "'processing'", "t_proc", "specialist", "competent"),
    (5, "request_supplement_after_appraisal", "'processing'", "'supplement_requested'", "t_areq",
     "specialist", "competent"),
    (6, "supplement", "'supplement_requested'", "'processing'", "t_adone", "NULL", "NULL"),
    (7, "submit_for_approval", "'processing'", "'awaiting_approval'", "t_subm", "specialist",
     "competent"),
    (8, "approve", "'awaiting_approval'", "'approved'", "t_appr", "leader", "competent"),
    (8, "stop", "'processing'", "'stopped'", "t_stop", "leader", "competent"),
    (9, "return_result", "'approved'", "'returned'", "t_ret", "receiver", "center"),
    (10, "withdraw", "CASE WHEN t_proc IS NULL THEN 'accepted' ELSE 'processing' END",
     "'withdrawn'", "t_wd", "NULL", "NULL"),
]  # fmt: skip

EXTRA_SQL = [
    # The appointment given at reception (reports.Appointment, written with the accept event).
    """INSERT INTO reports_appointment (at, due_at, dossier_id, event_id)
       SELECT t_acc, t_due, id, %(event_base)s + id * 12 + 3 FROM bench_plan
       WHERE t_acc IS NOT NULL""",
    """INSERT INTO dossiers_supplementrequest
         (stage, requested_at, items, reason, completed_at, dossier_id, requested_by_id)
       SELECT 'reception', t_sreq, '["to_khai"]'::jsonb, 'Thiếu tờ khai', t_sdone, id, receiver
       FROM bench_plan WHERE t_sreq IS NOT NULL
       UNION ALL
       SELECT 'appraisal', t_areq, '["ban_do"]'::jsonb, 'Cần bổ sung', t_adone, id, specialist
       FROM bench_plan WHERE t_areq IS NOT NULL""",
    """INSERT INTO payments_invoice
         (amount, status, channel, paid_at, receipt_number, created_at, collector_id, dossier_id)
       SELECT CASE kind WHEN 'civil' THEN 16000 ELSE 100000 END,
              CASE WHEN t_acc IS NOT NULL THEN 'paid' ELSE 'unpaid' END,
              CASE WHEN t_acc IS NULL THEN '' WHEN channel = 2 THEN 'online' ELSE 'cash' END,
              t_acc, CASE WHEN t_acc IS NOT NULL THEN 'BL52-' || id END, t_sub, center, id
       FROM bench_plan""",
    """INSERT INTO dossiers_dossierfile (kind, component_key, original_name, file, content_type,
         size, sha256, created_at, dossier_id)
       SELECT 'attachment', 'to_khai', 'to-khai.pdf', 'dossiers/bench/' || id || '-a.pdf',
              'application/pdf', 120000, md5('f' || id) || md5('g' || id), t_sub, id
       FROM bench_plan
       UNION ALL
       SELECT 'receipt_slip', '', 'giay-tiep-nhan.pdf', 'dossiers/bench/' || id || '-r.pdf',
              'application/pdf', 60000, md5('h' || id) || md5('i' || id), t_acc, id
       FROM bench_plan WHERE t_acc IS NOT NULL
       UNION ALL
       SELECT 'result', '', 'ket-qua.pdf', 'dossiers/bench/' || id || '-k.pdf',
              'application/pdf', 90000, md5('j' || id) || md5('k' || id), t_appr, id
       FROM bench_plan WHERE t_appr IS NOT NULL""",
    """INSERT INTO dossiers_transfer (purpose, slip_number, means, items, note, sent_at,
         received_at, dossier_id, from_agency_id, received_by_id, sent_by_id, to_agency_id)
       SELECT 'file', 'PC52-' || id || '-1', 'in_person', '[]'::jsonb, '', t_fsent, t_frecv,
              id, center, CASE WHEN t_frecv IS NOT NULL THEN specialist END, receiver, branch
       FROM bench_plan WHERE t_fsent IS NOT NULL
       UNION ALL
       SELECT 'result', 'PC52-' || id || '-2', 'in_person', '[]'::jsonb, '', t_rsent, t_rrecv,
              id, branch, CASE WHEN t_rrecv IS NOT NULL THEN receiver END, specialist, center
       FROM bench_plan WHERE t_rsent IS NOT NULL""",
    """INSERT INTO reports_rating (satisfied, comment, created_at, dossier_id)
       SELECT r_misc > 0.04, '', t_ret + interval '1 day', id FROM bench_plan
       WHERE t_ret IS NOT NULL AND r_rate < 0.12 AND t_ret + interval '1 day' <= %(now)s""",
    """INSERT INTO reports_complaint (content, created_at, status, answer, resolved_at,
         handler_id, dossier_id)
       SELECT 'Chậm trả kết quả', t_ret + interval '2 days', 'received', '', NULL, NULL, id
       FROM bench_plan WHERE t_ret IS NOT NULL AND r_rate > 0.997
         AND t_ret + interval '2 days' <= %(now)s""",
    # The facts row the reports keep per dossier (motcua.reports.facts), from the same plan.
    """INSERT INTO reports_dossierfacts (dossier_id, received_at, ended_at, resolved_at,
         approved_at, withdrawn_at, refused_at, due_at, due_since, supplements,
         open_supplement_at, supplement_time, supplements_since, fee, paid_online_at,
         attached_at, result_file_at, complained_at, satisfied_at, unsatisfied_at, synced_at,
         receiving_agency_id, competent_agency_id, procedure_id, channel)
       SELECT id, t_acc, LEAST(t_appr, t_ret, t_stop, t_wd), LEAST(t_appr, t_ret, t_stop),
         t_appr, t_wd, t_ref, CASE WHEN t_acc IS NOT NULL THEN t_due END, t_acc,
         (t_areq IS NOT NULL)::int, CASE WHEN t_adone IS NULL THEN t_areq END,
         COALESCE(t_adone - t_areq, interval '0'), GREATEST(t_areq, t_adone), true,
         CASE WHEN channel = 2 THEN t_acc END, t_sub, t_appr,
         CASE WHEN r_rate > 0.997 AND t_ret + interval '2 days' <= %(now)s
                THEN t_ret + interval '2 days'
              WHEN r_rate < 0.12 AND r_misc <= 0.04 AND t_ret + interval '1 day' <= %(now)s
                THEN t_ret + interval '1 day' END,
         CASE WHEN t_ret + interval '1 day' <= %(now)s AND r_rate < 0.12 AND r_misc > 0.04
              THEN t_ret + interval '1 day' END,
         CASE WHEN t_ret + interval '1 day' <= %(now)s AND r_rate < 0.12 AND r_misc <= 0.04
              THEN t_ret + interval '1 day' END,
         CASE WHEN t_sub + interval '1 minute' <= %(now)s THEN t_sub + interval '1 minute' END,
         center, competent, procedure, channel
       FROM bench_plan""",
    # The first status sent to the national portal (the connector posts one per change).
    """INSERT INTO exchange_outboxmessage (message_id, kind, stream, dedupe_key, payload, state,
         attempts, next_attempt_at, lease_until, claimed_by, last_error, created_at,
         delivered_at, response, peer_id)
       SELECT gen_random_uuid(), 'dvcqg.status', 'dossier:' || id, 'bench:' || id, '{}'::jsonb,
              'delivered', 1, t_sub, NULL, '', '', t_sub, t_sub + interval '1 minute', NULL,
              (SELECT id FROM exchange_peer ORDER BY id LIMIT 1)
       FROM bench_plan WHERE t_sub + interval '1 minute' <= %(now)s""",
]

TABLES = (
    "dossiers_dossier", "dossiers_dossierevent", "reports_appointment",
    "dossiers_supplementrequest", "payments_invoice", "dossiers_dossierfile",
    "dossiers_transfer", "reports_rating", "reports_complaint", "exchange_outboxmessage",
    "reports_dossierfacts",
)  # fmt: skip


def events_sql() -> str:
    parts = [
        f"SELECT %(event_base)s + id * {SLOTS} + {slot}, {at}, '{action}', {source}, {target}, "  # noqa: S608
        f"CASE WHEN {actor} IS NULL THEN 'applicant' ELSE 'user:' || {actor} END, '', "
        f"'{{}}'::jsonb, {actor}, {agency}, id FROM bench_plan WHERE {at} IS NOT NULL"
        for slot, action, source, target, at, actor, agency in EVENTS
    ]
    return (
        "INSERT INTO dossiers_dossierevent (id, at, action, from_state, to_state, actor_label, "
        "note, data, actor_id, agency_id, dossier_id) " + " UNION ALL ".join(parts)
    )


def generate(count: int) -> dict[str, Any]:
    """Append ``count`` dossiers with their history (see the module's docstring); ANALYZE."""
    from django.conf import settings
    from django.db import connection, transaction

    from motcua.core import clock

    started = time.monotonic()
    now = clock.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM dossiers_dossier")
        base = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(max(id), 0) FROM dossiers_dossierevent")
        event_base = cursor.fetchone()[0] + 1 - (base + 1) * SLOTS
        params = {"now": now, "base": base, "count": count, "event_base": event_base}
        cursor.execute("DROP TABLE IF EXISTS bench_units; DROP TABLE IF EXISTS bench_plan")
        cursor.execute(UNITS_SQL, {"province": settings.MOTCUA_PROVINCE_CODE})
        cursor.execute(PLAN_SQL, params)
        cursor.execute(CLIP_SQL, params)
        cursor.execute(DOSSIER_SQL, params)
        cursor.execute(events_sql(), params)
        for statement in EXTRA_SQL:
            cursor.execute(statement, params)
        cursor.execute(
            "SELECT state, count(*) FROM bench_plan GROUP BY state ORDER BY count(*) DESC"
        )
        states = dict(cursor.fetchall())
        cursor.execute("DROP TABLE bench_plan; DROP TABLE bench_units")
        for table in TABLES[:-1]:  # the facts rows have the dossier's id
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(max(id), 1) FROM {table}))"
            )
    # The day totals of the closed dossiers, as the reports migration fills them for the
    # dossiers already there (all of them again: the rows are the same whichever way).
    totals_started = time.monotonic()
    with transaction.atomic():
        from motcua.reports.totals import rebuild

        totals_rows = rebuild()
    totals_seconds = round(time.monotonic() - totals_started, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        rows = {"reports_factstotal": totals_rows}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
            rows[table] = cursor.fetchone()[0]
    return {"added": count, "seconds": round(time.monotonic() - started, 1), "states": states,
            "rows": rows, "totals_seconds": totals_seconds}  # fmt: skip


# --- the pages measured ------------------------------------------------------------------------


def pages() -> list[dict[str, Any]]:
    """The measured pages: (label, username, path), chosen from the generated data."""
    from motcua.backoffice import selectors as worklist
    from motcua.core import clock
    from motcua.org.models import User

    def tabs(username: str) -> list[Any]:
        user = User.objects.get(username=username)
        return [t for g in worklist.tab_groups_for(user, clock.now()) for t in g.tabs]

    def deep(username: str, key: str) -> tuple[str, int]:
        user = User.objects.get(username=username)
        tab = next(t for t in tabs(username) if t.key == key)
        rows = worklist.list_tab(user, tab).count()
        return tab.ident, max(1, (rows + 49) // 50 // 2)

    today = clock.localtime(clock.now()).date()
    last_year = today.year - 1
    past = today.replace(day=1) - __import__("datetime").timedelta(days=150)
    found: list[dict[str, Any]] = []
    receiver, specialist, leader = "tn.phuongpleiku", "cv.phuongpleiku", "ld.phuongpleiku"
    branch = "cv.cn-vpdkdd-pleiku"
    branch_leader = "ld.cn-vpdkdd-pleiku"
    other = {t.key: t.ident for t in tabs(receiver)}
    branch_tabs = {t.key: t.ident for t in tabs(branch)}
    leader_tab, leader_page = deep(branch_leader, "dang-giai-quyet")
    found += [
        {"label": "worklist receiver (commune), default tab", "user": receiver,
         "path": "/mot-cua/"},
        {"label": "worklist receiver, tab Chờ trả kết quả", "user": receiver,
         "path": f"/mot-cua/?tab={other['cho-tra-ket-qua']}"},
        {"label": "worklist specialist (commune), default tab", "user": specialist,
         "path": "/mot-cua/"},
        {"label": "worklist leader (commune), default tab", "user": leader, "path": "/mot-cua/"},
        {"label": "worklist land branch specialist, default tab", "user": branch,
         "path": "/mot-cua/"},
        {"label": "worklist land branch specialist, tab Đang xử lý", "user": branch,
         "path": f"/mot-cua/?tab={branch_tabs['dang-xu-ly']}"},
        {"label": f"worklist land branch leader, Đang giải quyết p{leader_page}",
         "user": branch_leader, "path": f"/mot-cua/?tab={leader_tab}&page={leader_page}"},
        {"label": "dashboard province, this month", "user": "admin", "path": "/mot-cua/bao-cao/"},
        {"label": f"dashboard province, year {last_year}", "user": "admin",
         "path": f"/mot-cua/bao-cao/?from={last_year}-01-01&to={last_year}-12-31"},
        {"label": f"dashboard province, {past:%Y-%m} as of the 15th", "user": "admin",
         "path": f"/mot-cua/bao-cao/?from={past:%Y-%m}-01&to={past:%Y-%m}-28"
                 f"&as_of={past:%Y-%m}-15"},
        {"label": "dashboard commune (leader), this month", "user": leader,
         "path": "/mot-cua/bao-cao/"},
    ]  # fmt: skip
    return [page for page in found if PAGES in page["label"]]


def count_queries(measured: list[dict[str, Any]]) -> list[int]:
    """Queries per page, run in-process (Django's test client, signed in)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from motcua.org.models import User

    counts = []
    for page in measured:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=page["user"]))
        client.get(page["path"])  # the memberships and the session are then warm as in a run
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page["path"])
        if response.status_code != 200:
            raise RuntimeError(f"{page['path']} as {page['user']}: {response.status_code}")
        counts.append(len(queries))
    return counts


def session_cookie(username: str) -> str:
    """A signed-in session as the login view leaves it, stored in the database."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from motcua.org.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return round(ordered[rank - 1], 1)


def measure(url: str, page: dict[str, Any], cookie: str) -> dict[str, Any]:
    latencies: list[float] = []
    with httpx.Client(base_url=url, cookies={"sessionid": cookie}, timeout=120) as client:
        began = time.monotonic()
        warm = 0
        while len(latencies) < REQUESTS:
            started = time.perf_counter()
            response = client.get(page["path"])
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200 or "dang-nhap" in str(response.url):
                raise RuntimeError(f"{page['path']}: {response.status_code} {response.url}")
            spent = time.monotonic() - began
            # A slow page is warmed by fewer requests and measured by at least five.
            if warm < WARMUP and spent < URL_SECONDS / 4:
                warm += 1
                continue
            latencies.append(elapsed)
            if spent > URL_SECONDS and len(latencies) >= 5:
                break
    return {
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }


# --- the run -----------------------------------------------------------------------------------


def run(database_url: str, *, generated: bool = False) -> dict[str, Any]:
    """The whole measurement on an empty database at ``database_url`` (migrated here), or on
    one ``generated`` before (measured only)."""
    from bench.run import WORKERS, Instance, serve
    from motcua.drill.server import motcua_command

    instance = Instance(database_url)
    env = {**instance.env, "MOTCUA_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    try:
        options: dict[str, Any] = {"env": env, "check": True, "capture_output": True, "cwd": ROOT}
        if not generated:
            migrate = motcua_command("migrate", "--noinput", "-v", "0")
            subprocess.run(migrate, **options)  # noqa: S603
            subprocess.run(motcua_command("setup", "--demo"), **options)  # noqa: S603
        os.environ.update(env)
        import django

        django.setup()
        if generated:
            small = large = {"added": 0, "seconds": 0.0}
            small_counts: list[int | None] = [None] * len(pages())
        else:
            small = generate(min(SMALL, DOSSIERS))
            done = f"== scale: {small['added']} dossiers in {small['seconds']} s"
            print(done, flush=True)  # noqa: T201
            small_counts = list(count_queries(pages()))
            large = generate(max(0, DOSSIERS - SMALL))
            done = f"== scale: +{large['added']} dossiers in {large['seconds']} s"
            print(done, flush=True)  # noqa: T201
        measured = pages()
        large_counts = count_queries(measured)
        cookies = {page["user"]: session_cookie(page["user"]) for page in measured}
        rows = []
        with serve(instance, "motcua.wsgi:application", "motcua.settings") as url:
            for page, few, many in zip(measured, small_counts, large_counts, strict=True):
                row = {**page, **measure(url, page, cookies[page["user"]])}
                row.update(queries_small=few, queries_large=many)
                print(f"   {row}", flush=True)  # noqa: T201
                rows.append(row)
        return {
            "dossiers": DOSSIERS,
            "small": SMALL,
            "server": f"gunicorn {WORKERS} workers, one client, {REQUESTS} requests after "
            f"{WARMUP} (fewer when a page takes more than {URL_SECONDS:.0f} s in all)",
            "generation": {"small": small, "large": large},
            "pages": rows,
        }
    finally:
        instance.remove()


def table(scale: dict[str, Any]) -> str:
    lines = [
        f"{scale['dossiers']:,} dossiers (generated in "
        f"{scale['generation']['small']['seconds'] + scale['generation']['large']['seconds']:.0f}"
        f" s); queries at {scale['small']:,} / {scale['dossiers']:,} dossiers",
        f"{'page':<58}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'queries':>10}",
    ]
    for row in scale["pages"]:
        queries = f"{row['queries_small']}/{row['queries_large']}"
        lines.append(
            f"{row['label'][:57]:<58}{row['requests']:>5}{row['p50_ms']:>9}{row['p95_ms']:>9}"
            f"{row['p99_ms']:>9}{queries:>10}"
        )
    return "\n".join(lines)


def save(scale: dict[str, Any]) -> None:
    """Merge under "scale" with what bench/run.py wrote."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["scale"] = scale
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")


def on_throwaway_postgresql() -> dict[str, Any] | None:
    """The whole measurement on its own throw-away PostgreSQL cluster (None with
    ``BENCH_DOSSIERS=0``); bench/run.py calls it after its PostgreSQL part."""
    if DATABASE:
        return run(DATABASE, generated=True)
    if DOSSIERS <= 0:
        return None
    createdb = sorted(Path("/usr/lib/postgresql").glob("*/bin/createdb"))[-1]
    started = subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / "pg-throwaway.sh"), "start"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    url = started.stdout.strip()
    port = url.rsplit(":", 1)[1].split("/")[0]
    try:
        subprocess.run(  # noqa: S603
            [str(createdb), "-h", "127.0.0.1", "-p", port, "-U", "postgres", "motcua"],
            check=True, capture_output=True,
        )  # fmt: skip
        return run(url)
    finally:
        if KEEP:
            print(f"== scale: kept {url} (BENCH_SCALE_DATABASE)", flush=True)  # noqa: T201
        else:
            stop = [str(ROOT / "scripts" / "pg-throwaway.sh"), "stop", port]
            subprocess.run(stop, check=False)  # noqa: S603


def main() -> int:
    """Alone: measure, merge into bench/results.json, print the table."""
    scale = on_throwaway_postgresql()
    if scale is not None:
        if not (PAGES or KEEP or DATABASE):
            save(scale)
        print(table(scale))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
