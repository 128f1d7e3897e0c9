#!/usr/bin/env node
// Prints a bcrypt hash (cost 12) of a password for an SLCA_DASHBOARD_ACCOUNTS entry `name:role:hash`.
// The password is read from standard input (piped, or typed without echo), never from the command line,
// so it stays out of the shell's history and the process list. Usage: npm run -s hash-password
import bcrypt from 'bcryptjs';

async function readPassword() {
  const input = process.stdin;
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) text += chunk;
    return text.replace(/\r?\n$/, '');
  }
  process.stderr.write('Password (not shown): ');
  input.setRawMode(true);
  input.setEncoding('utf8');
  let text = '';
  return new Promise((resolve, reject) => {
    input.on('data', (key) => {
      for (const c of key) {
        if (c === '\r' || c === '\n') {
          input.setRawMode(false);
          input.pause();
          process.stderr.write('\n');
          resolve(text);
          return;
        }
        if (c === '\u0003') {
          input.setRawMode(false);
          reject(new Error('interrupted'));
          return;
        }
        if (c === '\u007f') text = text.slice(0, -1);
        else text += c;
      }
    });
  });
}

const password = await readPassword();
if (password.length < 8) {
  process.stderr.write('hash-password: the password must be at least 8 characters\n');
  process.exit(2);
}
process.stdout.write(`${await bcrypt.hash(password, 12)}\n`);
