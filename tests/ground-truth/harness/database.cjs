// The harness's own connection to the test cluster, outside every scenario:
// it resets the tables between scenarios (only those a statement touched,
// as triggers record), reads pg_stat_activity, asks PostgreSQL whether a
// transaction committed, and ends what a scenario left connected.
'use strict'
const { pg } = require('./pg.cjs')

class Database {
  async open() {
    this.admin = new pg.Client({ application_name: 'gt-admin' })
    await this.admin.connect()
    // Triggers on every table record which ones were written (per row, so
    // that a statement that changes nothing leaves no trace, not even a
    // transaction id); the seed rows are kept aside to put back.
    await this.admin.query(`
      CREATE UNLOGGED TABLE IF NOT EXISTS gt_dirty (name text NOT NULL);
      CREATE OR REPLACE FUNCTION gt_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO gt_dirty (name) VALUES (TG_TABLE_NAME);
        RETURN NULL;
      END $$;
      CREATE SCHEMA IF NOT EXISTS gt_seed;
    `)
    const { rows } = await this.admin.query(`
      SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'gt_dirty' ORDER BY 1`)
    this.tables = rows.map((r) => r.name)
    for (const name of this.tables) {
      await this.admin.query(`
        DROP TABLE IF EXISTS gt_seed."${name}";
        CREATE TABLE gt_seed."${name}" AS SELECT * FROM public."${name}";
        DROP TRIGGER IF EXISTS gt_dirty ON public."${name}";
        DROP TRIGGER IF EXISTS gt_dirty_truncate ON public."${name}";
        CREATE TRIGGER gt_dirty AFTER INSERT OR UPDATE OR DELETE ON public."${name}"
          FOR EACH ROW EXECUTE FUNCTION gt_mark_dirty();
        CREATE TRIGGER gt_dirty_truncate AFTER TRUNCATE ON public."${name}"
          FOR EACH STATEMENT EXECUTE FUNCTION gt_mark_dirty();`)
    }
    this.state = 'seeded'
  }

  async close() {
    await this.admin.end()
  }

  /** Puts the seed rows back in every table written since the last reset (`empty`: none at all). */
  async reset(target = 'seeded') {
    const { rows } = await this.admin.query('SELECT DISTINCT name FROM gt_dirty')
    let names = rows.map((r) => r.name).filter((n) => this.tables.includes(n))
    if (target !== this.state) names = this.tables
    if (!names.length) return
    const sql = names.map((n) => `DELETE FROM public."${n}";` +
      (target === 'seeded' ? ` INSERT INTO public."${n}" SELECT * FROM gt_seed."${n}";` : '')).join('\n')
    await this.admin.query(`BEGIN; ${sql} DELETE FROM gt_dirty; COMMIT;`)
    this.state = target
  }

  /** pg_stat_activity's view of the given backends: pid -> state. */
  async sessions(pids) {
    return new Map([...(await this.sessionDetails(pids))].map(([pid, s]) => [pid, s.state]))
  }

  /** pid -> {state, xid}: the transaction id is there once the transaction has written. */
  async sessionDetails(pids) {
    if (!pids.length) return new Map()
    const { rows } = await this.admin.query(
      'SELECT pid, state, backend_xid::text AS xid FROM pg_stat_activity WHERE pid = ANY($1)', [pids])
    return new Map(rows.map((r) => [r.pid, { state: r.state, xid: r.xid }]))
  }

  /** committed | aborted | in progress, per transaction id. */
  async transactionStatus(xids) {
    if (!xids.length) return new Map()
    const { rows } = await this.admin.query(
      'SELECT x, txid_status(x::bigint) AS status FROM unnest($1::text[]) AS x', [xids])
    return new Map(rows.map((r) => [r.x, r.status]))
  }

  async terminate(pid) {
    await this.admin.query('SELECT pg_terminate_backend($1)', [pid])
  }

  /** Ends every session a scenario opened, and waits until PostgreSQL has let them go. */
  async endScenario(id) {
    const name = `gt-${id}`
    // Terminated again on each look: a connection still being opened when
    // the scenario ended arrives late.
    for (let i = 0; i < 2000; i++) {
      const { rows } = await this.admin.query(
        `SELECT count(*)::int AS n, count(pg_terminate_backend(pid)) AS t
           FROM pg_stat_activity WHERE application_name = $1`, [name])
      if (rows[0].n === 0) return
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    throw new Error(`sessions of scenario ${id} did not end`)
  }
}

module.exports = { Database }
