'use strict';
// The error classes the hosted platform injects into every action script. They work with and
// without `new`, as hosted scripts call them both ways.

function define(name, init) {
  function HostedError(...args) {
    if (!(this instanceof HostedError)) return new HostedError(...args);
    const message = init(this, args);
    this.message = message === undefined || message === null ? '' : String(message);
    Error.captureStackTrace(this, HostedError);
  }
  Object.defineProperty(HostedError, 'name', { value: name });
  HostedError.prototype = Object.create(Error.prototype, {
    constructor: { value: HostedError, writable: true, configurable: true },
    name: { value: name, writable: true, configurable: true },
  });
  return HostedError;
}

// new WrongUsernameOrPasswordError(userIdOrEmail, message)
const WrongUsernameOrPasswordError = define('WrongUsernameOrPasswordError', (self, [user, message]) => {
  self.user_id = user;
  return message === undefined ? 'Wrong email or password.' : message;
});
// new ValidationError(code, message), e.g. ('user_exists', 'the user already exists')
const ValidationError = define('ValidationError', (self, [code, message]) => {
  self.code = code;
  return message;
});
// new UnauthorizedError(message)
const UnauthorizedError = define('UnauthorizedError', (self, [message]) => {
  self.code = 'unauthorized';
  return message;
});

module.exports = { WrongUsernameOrPasswordError, ValidationError, UnauthorizedError };
