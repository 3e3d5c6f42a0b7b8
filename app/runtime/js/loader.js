'use strict';
// Compile a hosted-style script file with its real file name, so stack traces name the file and
// its lines. Accepts `function login(...) {...}`, an anonymous `function (...) {}`, `async
// function`, and files whose entry is a named top-level function among helpers.

const vm = require('vm');

const INJECTED = ['require', 'configuration', 'WrongUsernameOrPasswordError', 'ValidationError', 'UnauthorizedError'];

class LoadError extends Error {
  constructor(kind, message, line, column) {
    super(message);
    this.kind = kind; // 'syntax-error' | 'missing-entry'
    this.line = line;
    this.column = column;
  }
}

// The names the platform's entry goes by, per script kind: the recommended one first, then the
// names seen in the wild (the hosted templates' loginByEmail, getByEmail, remove, ...).
const ENTRY_NAMES = {
  login: ['login', 'loginByEmail', 'loginByUsername'],
  get_user: ['getUser', 'getByEmail', 'getUserByEmail'],
  create: ['create', 'signup', 'createUser'],
  verify: ['verify', 'verifyEmail'],
  change_password: ['changePassword', 'updatePassword'],
  delete: ['deleteUser', 'remove', 'removeUser'],
  change_email: ['changeEmail', 'updateEmail'],
};

// The names to look for in `source`: the kind's, then a file's only top-level function.
function entryNames(kind, source) {
  const names = [...(ENTRY_NAMES[kind] || [])];
  const declared = [...source.matchAll(/^(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(/gm)].map((m) => m[1]);
  if (declared.length === 1 && !names.includes(declared[0])) names.push(declared[0]);
  return names;
}

// One compiled wrapper per (file, source): the parent sends the source every run.
const cache = new Map();

function compile(filename, source, names) {
  const key = `${filename}\0${names.join(',')}\0${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const params = INJECTED.join(', ');
  let factory;
  try {
    // As an expression: the whole file is one function (named or anonymous).
    factory = new vm.Script(`(function (${params}) { return (\n${source}\n); })`, { filename, lineOffset: -1 });
  } catch (first) {
    if (!(first instanceof SyntaxError)) throw first;
    const pick = names.map((n) => `typeof ${n} === 'function' ? ${n} : `).join('');
    try {
      factory = new vm.Script(`(function (${params}) {\n${source}\n;return ${pick}undefined; })`, { filename, lineOffset: -1 });
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      const where = syntaxLocation(e, filename);
      throw new LoadError('syntax-error', e.message, where.line, where.column);
    }
  }
  const entry = { factory, expression: false };
  if (cache.size > 32) cache.clear();
  cache.set(key, entry);
  return entry;
}

// V8 puts "file:line" as the first line of a SyntaxError's stack.
function syntaxLocation(e, filename) {
  const first = String(e.stack || '').split('\n')[0];
  if (first.startsWith(filename + ':')) {
    const line = Number(first.slice(filename.length + 1));
    if (Number.isInteger(line)) return { line, column: null };
  }
  return { line: null, column: null };
}

// The script's entry function, called with the injected names.
function load(filename, source, names, injected) {
  const { factory } = compile(filename, source, names);
  const fn = factory.runInThisContext()(...INJECTED.map((n) => injected[n]));
  if (typeof fn !== 'function') {
    throw new LoadError('missing-entry', `no entry function: write \`function ${names[0]}(...) { ... }\` `
      + 'as the whole file, or as a top-level function of that name', null, null);
  }
  return fn;
}

module.exports = { load, LoadError, INJECTED, entryNames, ENTRY_NAMES };
