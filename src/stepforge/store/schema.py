"""The SQL schema, as numbered migrations applied in order; ``schema_version`` records the last one.

Kept in plain SQL common to SQLite and PostgreSQL where it can be; a dialect module adapts the rest.
Never edit a released migration: add the next one.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE definitions (
        hash TEXT PRIMARY KEY,
        text TEXT NOT NULL
    );
    CREATE TABLE state_machines (
        arn TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        definition_hash TEXT NOT NULL REFERENCES definitions(hash),
        role_arn TEXT NOT NULL,
        type TEXT NOT NULL,
        created REAL NOT NULL,
        revision_id TEXT NOT NULL,
        status TEXT NOT NULL,
        logging TEXT NOT NULL,
        tracing TEXT NOT NULL,
        description TEXT NOT NULL,
        tags TEXT NOT NULL
    );
    CREATE TABLE executions (
        arn TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        state_machine_arn TEXT NOT NULL,
        state_machine_name TEXT NOT NULL,
        definition_hash TEXT NOT NULL REFERENCES definitions(hash),
        role_arn TEXT NOT NULL,
        input TEXT NOT NULL,
        started REAL NOT NULL,
        status TEXT NOT NULL,
        stopped REAL,
        output TEXT,
        error TEXT,
        cause TEXT,
        run TEXT NOT NULL,
        event_count INTEGER NOT NULL
    );
    CREATE INDEX executions_by_machine ON executions (state_machine_arn, started);
    CREATE INDEX executions_by_status ON executions (status);
    CREATE TABLE events (
        execution_arn TEXT NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (execution_arn, first_id)
    );
    CREATE TABLE activities (
        arn TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created REAL NOT NULL,
        tags TEXT NOT NULL
    );
    CREATE TABLE activity_tasks (
        token TEXT PRIMARY KEY,
        activity_arn TEXT NOT NULL,
        execution_arn TEXT NOT NULL,
        wait_id INTEGER NOT NULL,
        input TEXT NOT NULL,
        scheduled REAL NOT NULL,
        worker_name TEXT,
        started INTEGER NOT NULL,
        closed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX activity_tasks_queue ON activity_tasks (activity_arn, closed, started, scheduled);
    CREATE INDEX activity_tasks_by_execution ON activity_tasks (execution_arn, wait_id);
    CREATE TABLE timers (
        execution_arn TEXT NOT NULL,
        wait_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        due REAL NOT NULL,
        PRIMARY KEY (execution_arn, wait_id, kind)
    );
    CREATE INDEX timers_by_due ON timers (due);
    CREATE TABLE signals (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        execution_arn TEXT NOT NULL,
        signal TEXT NOT NULL
    );
    CREATE INDEX signals_by_execution ON signals (execution_arn);
    """,
    # 2: versions, aliases, map runs; executions know their version, alias, map run and redrives
    """
    ALTER TABLE state_machines ADD COLUMN encryption TEXT NOT NULL DEFAULT '{"type":"AWS_OWNED_KEY"}';
    ALTER TABLE state_machines ADD COLUMN next_version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE executions ADD COLUMN version_arn TEXT;
    ALTER TABLE executions ADD COLUMN alias_arn TEXT;
    ALTER TABLE executions ADD COLUMN map_run_arn TEXT;
    ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE executions ADD COLUMN redrive_date REAL;
    CREATE INDEX executions_by_map_run ON executions (map_run_arn);
    CREATE TABLE state_machine_versions (
        arn TEXT PRIMARY KEY,
        machine_arn TEXT NOT NULL,
        number INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX versions_by_machine ON state_machine_versions (machine_arn, number);
    CREATE TABLE state_machine_aliases (
        arn TEXT PRIMARY KEY,
        machine_arn TEXT NOT NULL,
        created REAL NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX aliases_by_machine ON state_machine_aliases (machine_arn, created);
    CREATE TABLE map_runs (
        arn TEXT PRIMARY KEY,
        execution_arn TEXT NOT NULL,
        started REAL NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, started);
    """,
    # 3: one table per meaning (task dispatches and child watches leave activity_tasks), Map Run items
    # as rows, indexes for keyset paging; store/moves.py moves the rows of a released store
    """
    ALTER TABLE activity_tasks ADD COLUMN state_name TEXT NOT NULL DEFAULT '';
    CREATE INDEX activity_tasks_open ON activity_tasks (scheduled) WHERE closed = 0;
    CREATE TABLE task_dispatches (
        token TEXT PRIMARY KEY,
        execution_arn TEXT NOT NULL REFERENCES executions(arn),
        wait_id INTEGER NOT NULL,
        resource TEXT NOT NULL,
        state_name TEXT NOT NULL,
        child_name TEXT NOT NULL,
        input TEXT NOT NULL,
        created REAL NOT NULL,
        callback INTEGER NOT NULL,
        closed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX task_dispatches_open ON task_dispatches (created, token) WHERE closed = 0;
    CREATE INDEX task_dispatches_callbacks ON task_dispatches (created) WHERE closed = 0 AND callback = 1;
    CREATE INDEX task_dispatches_by_execution ON task_dispatches (execution_arn, wait_id);
    CREATE TABLE child_watches (
        child_arn TEXT PRIMARY KEY REFERENCES executions(arn),
        parent_arn TEXT NOT NULL REFERENCES executions(arn),
        wait_id INTEGER NOT NULL,
        pattern TEXT NOT NULL,
        created REAL NOT NULL,
        closed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX child_watches_by_parent ON child_watches (parent_arn, wait_id);
    CREATE TABLE map_run_items (
        map_run_arn TEXT NOT NULL REFERENCES map_runs(arn),
        idx INTEGER NOT NULL,
        input TEXT NOT NULL,
        child_arn TEXT,
        status TEXT NOT NULL,
        result TEXT,
        PRIMARY KEY (map_run_arn, idx)
    );
    CREATE INDEX map_run_items_by_status ON map_run_items (map_run_arn, status, idx);
    CREATE UNIQUE INDEX map_run_items_by_child ON map_run_items (child_arn) WHERE child_arn IS NOT NULL;
    DROP INDEX executions_by_map_run;
    CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, started);
    CREATE INDEX executions_by_started ON executions (started);
    CREATE INDEX executions_by_version ON executions (version_arn, started) WHERE version_arn IS NOT NULL;
    CREATE INDEX executions_by_alias ON executions (alias_arn, started) WHERE alias_arn IS NOT NULL;
    CREATE INDEX executions_by_map_run ON executions (map_run_arn, started) WHERE map_run_arn IS NOT NULL;
    CREATE INDEX state_machines_by_created ON state_machines (status, created, arn);
    CREATE INDEX activities_by_created ON activities (created, arn);
    ALTER TABLE map_runs ADD COLUMN status TEXT NOT NULL DEFAULT 'RUNNING';
    DROP INDEX map_runs_by_execution;
    CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, started, arn);
    """,
    # 4: the console's lists read an index in order: executions of one status across machines, newest
    # first; state machines of any status (ACTIVE and DELETING), searched by name, oldest first
    """
    DROP INDEX executions_by_status;
    CREATE INDEX executions_by_status ON executions (status, started);
    CREATE INDEX state_machines_by_creation ON state_machines (created, arn);
    """,
    # 5: nodes (engines sharing the store) with their leases; each dispatch names the node running it
    """
    CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        token TEXT NOT NULL,
        started REAL NOT NULL,
        heartbeat REAL NOT NULL,
        lease_expires REAL NOT NULL,
        advanced INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX nodes_by_lease ON nodes (lease_expires);
    ALTER TABLE task_dispatches ADD COLUMN owner TEXT;
    CREATE INDEX task_dispatches_by_owner ON task_dispatches (owner, created, token) WHERE closed = 0;
    """,
    # 6: schedules, event rules and their targets, webhooks, and which executions each started. Plain SQL common to SQLite and PostgreSQL.
    """
    CREATE TABLE schedules (
        arn TEXT PRIMARY KEY,
        group_name TEXT NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL,
        created REAL NOT NULL,
        modified REAL NOT NULL,
        next_firing REAL,
        due REAL,
        body TEXT NOT NULL
    );
    CREATE INDEX schedules_by_name ON schedules (name, arn);
    CREATE INDEX schedules_by_due ON schedules (due) WHERE state = 'ENABLED' AND due IS NOT NULL;
    CREATE INDEX schedules_by_group ON schedules (group_name, name);
    CREATE TABLE schedule_groups (
        name TEXT PRIMARY KEY,
        arn TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE event_rules (
        arn TEXT PRIMARY KEY,
        bus TEXT NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL,
        created REAL NOT NULL,
        next_firing REAL,
        due REAL,
        body TEXT NOT NULL
    );
    CREATE INDEX event_rules_by_bus ON event_rules (bus, name, arn);
    CREATE INDEX event_rules_by_due ON event_rules (due) WHERE state = 'ENABLED' AND due IS NOT NULL;
    CREATE TABLE event_targets (
        rule_arn TEXT NOT NULL REFERENCES event_rules(arn),
        target_id TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (rule_arn, target_id)
    );
    CREATE TABLE webhooks (
        name TEXT PRIMARY KEY,
        created REAL NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE trigger_starts (
        source_arn TEXT NOT NULL,
        execution_arn TEXT NOT NULL,
        started REAL NOT NULL,
        PRIMARY KEY (source_arn, execution_arn)
    );
    CREATE INDEX trigger_starts_by_time ON trigger_starts (source_arn, started);
    """,
    # 7: when each Map Run item's child started and ended (EXPRESS children have no execution row)
    """
    ALTER TABLE map_run_items ADD COLUMN started REAL;
    ALTER TABLE map_run_items ADD COLUMN stopped REAL;
    """,
)
