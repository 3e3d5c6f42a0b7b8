'use strict';
// What a statement does to the transaction a dry run holds open. A dry run keeps every connection
// inside one transaction that is rolled back at the end, so SQL text that would end it (COMMIT,
// END, ROLLBACK, BEGIN over it, MySQL's implicit commits, two-phase commits, autocommit) must be
// rewritten (the script's own BEGIN/COMMIT become savepoints) or refused, whatever the text looks
// like: upper or lower case, comments in front, several statements in one string.

// Split SQL into statements, honouring quotes, comments and (PostgreSQL) dollar quoting.
function split(sql, dialect) {
  const out = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"' || (c === '`' && dialect === 'mysql')) {
      i += 1;
      while (i < n) {
        if (sql[i] === '\\' && dialect === 'mysql') { i += 2; continue; }
        if (sql[i] === c) {
          if (sql[i + 1] === c) { i += 2; continue; }
          break;
        }
        i += 1;
      }
      i += 1;
    } else if (c === '[' && dialect === 'mssql') {
      const end = sql.indexOf(']', i + 1);
      i = end < 0 ? n : end + 1;
    } else if ((c === '-' && next === '-') || (c === '#' && dialect === 'mysql')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '$' && dialect === 'pg') {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? n : end + tag[0].length;
      } else {
        i += 1;
      }
    } else if (c === ';') {
      out.push(sql.slice(start, i));
      i += 1;
      start = i;
    } else {
      i += 1;
    }
  }
  out.push(sql.slice(start));
  return out.map(strip).filter((s) => s.length > 0);
}

// The statement without leading comments and whitespace.
function strip(statement) {
  let s = statement;
  for (;;) {
    const t = s.replace(/^\s+/, '');
    if (t.startsWith('--') || t.startsWith('#')) {
      const end = t.indexOf('\n');
      s = end < 0 ? '' : t.slice(end + 1);
    } else if (t.startsWith('/*')) {
      const end = t.indexOf('*/');
      s = end < 0 ? '' : t.slice(end + 2);
    } else {
      return t.replace(/\s+$/, '');
    }
  }
}

const WORDS = (s) => s.toUpperCase().replace(/[();]/g, ' ').split(/\s+/).filter(Boolean);

// kind: 'begin' | 'commit' | 'rollback' | 'savepoint' | 'refuse' | 'other'; for 'refuse', `what`.
function classifyOne(statement, dialect) {
  const w = WORDS(statement);
  const [a, b, c] = w;
  if (!a) return { kind: 'other' };
  if (dialect === 'mssql') return classifyTsql(w);
  if (a === 'BEGIN' || (a === 'START' && b === 'TRANSACTION')) return { kind: 'begin' };
  if (a === 'COMMIT' || a === 'END') {
    if (b === 'PREPARED') return { kind: 'refuse', what: 'COMMIT PREPARED (a prepared transaction outlives the connection)' };
    return { kind: 'commit', chain: w.includes('CHAIN') && !w.includes('NO') };
  }
  if (a === 'ROLLBACK' || a === 'ABORT') {
    if (b === 'PREPARED') return { kind: 'refuse', what: 'ROLLBACK PREPARED (a prepared transaction outlives the connection)' };
    if (w.includes('TO')) return { kind: 'savepoint' };
    return { kind: 'rollback' };
  }
  if (a === 'SAVEPOINT' || a === 'RELEASE') return { kind: 'savepoint' };
  if (a === 'PREPARE' && b === 'TRANSACTION') return { kind: 'refuse', what: 'PREPARE TRANSACTION (a prepared transaction outlives the connection)' };
  if (dialect === 'mysql') {
    if (a === 'XA') return { kind: 'refuse', what: 'an XA transaction' };
    if (a === 'SET' && /AUTOCOMMIT\s*:?=\s*(1|ON|TRUE)\b/i.test(statement)) {
      return { kind: 'refuse', what: 'SET autocommit = 1 (it commits the open transaction)' };
    }
    const temporary = (a === 'CREATE' || a === 'DROP') && b === 'TEMPORARY';
    const implicit = ['CREATE', 'ALTER', 'DROP', 'RENAME', 'TRUNCATE', 'GRANT', 'REVOKE', 'ANALYZE', 'OPTIMIZE',
      'REPAIR', 'FLUSH', 'INSTALL', 'UNINSTALL', 'RESET', 'CHECKSUM'];
    if ((implicit.includes(a) && !temporary) || (a === 'LOCK' && b === 'TABLES') || (a === 'UNLOCK' && b === 'TABLES')
        || (a === 'LOAD' && (b === 'INDEX' || b === 'DATA')) || (a === 'CACHE' && b === 'INDEX')
        || (a === 'SET' && b === 'PASSWORD') || (a === 'LOCK' && b === 'INSTANCE')) {
      return { kind: 'refuse', what: `${[a, b, c].filter(Boolean).join(' ')} … (MySQL commits the open transaction before such a statement)` };
    }
  }
  return { kind: 'other' };
}

// T-SQL needs no semicolons, so a batch is searched for the transaction words anywhere.
function classifyTsql(w) {
  const [a, b] = w;
  const tran = (x) => x === 'TRAN' || x === 'TRANSACTION' || x === 'WORK';
  const lone = w.length <= 3;
  if (a === 'BEGIN' && tran(b) && lone) return { kind: 'begin', name: w[2] || null };
  if (a === 'COMMIT' && (w.length === 1 || (tran(b) && lone))) return { kind: 'commit', name: w[2] || null };
  if (a === 'ROLLBACK' && (w.length === 1 || (tran(b) && lone))) return { kind: w[2] ? 'savepoint' : 'rollback' };
  if (a === 'SAVE' && tran(b) && lone) return { kind: 'savepoint' };
  for (let i = 0; i < w.length; i += 1) {
    if ((w[i] === 'BEGIN' && (tran(w[i + 1]) || w[i + 1] === 'DISTRIBUTED')) || w[i] === 'COMMIT' || w[i] === 'ROLLBACK') {
      return { kind: 'refuse', what: 'a batch that commits or rolls back together with other statements (send BEGIN/COMMIT/ROLLBACK TRANSACTION on its own)' };
    }
    if (w[i] === 'IMPLICIT_TRANSACTIONS') return { kind: 'refuse', what: 'SET IMPLICIT_TRANSACTIONS' };
  }
  return { kind: 'other' };
}

function tsqlWords(sql) {
  // strings, [names] and comments never count
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      out += ' ';
      i = j + 1;
    } else if (c === '[') {
      const end = sql.indexOf(']', i);
      out += ' ';
      i = end < 0 ? n : end + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      out += ' ';
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out += ' ';
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

// The whole text a script sent: {kind, ...} of its one statement, or 'refuse' when transaction
// control hides among several statements (it cannot be rewritten safely there).
function classify(sql, dialect) {
  if (typeof sql !== 'string') return { kind: 'other' };
  if (dialect === 'mssql') return classifyTsql(WORDS(tsqlWords(sql)));
  const parts = split(sql, dialect);
  if (parts.length === 0) return { kind: 'other' };
  if (parts.length === 1) return classifyOne(parts[0], dialect);
  for (const part of parts) {
    const k = classifyOne(part, dialect);
    if (k.kind === 'refuse') return k;
    if (k.kind !== 'other') {
      return { kind: 'refuse', what: `${WORDS(part)[0]} sent together with other statements in one query `
        + '(send transaction control as a query of its own, so the dry run can hold it back)' };
    }
  }
  return { kind: 'other' };
}

module.exports = { classify, split, strip };
