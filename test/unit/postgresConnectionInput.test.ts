import * as assert from 'node:assert/strict';
import { connectPostgres } from '../../src/core/formats/postgres/connection';
import {
  checkPart,
  ConnectionInputError,
  connectionStringOf,
  parseConnectionString,
} from '../../src/core/formats/postgres/connectionInput';
import { addPasswordRole } from '../builders/postgresRoles';
import { sharedPostgres, type PostgresServer } from '../builders/postgresServer';

describe('PostgreSQL connection input', () => {
  it('moves the password out of a connection string, from the user info or a parameter', () => {
    assert.deepEqual(parseConnectionString(' postgres://ada:s%40cret@db.example:6543/shop?sslmode=verify-full '), {
      connectionString: 'postgres://ada@db.example:6543/shop?sslmode=verify-full',
      password: 's@cret',
    });
    assert.deepEqual(parseConnectionString('postgresql://ada@h/shop?password=pw&application_name=x'), {
      connectionString: 'postgresql://ada@h/shop?application_name=x',
      password: 'pw',
    });
    assert.deepEqual(parseConnectionString('postgres://h/shop'), {
      connectionString: 'postgres://h/shop',
      password: undefined,
    });
  });

  it('refuses what is not a connection URL, in one sentence each', () => {
    const sentence = (text: string) => {
      try {
        parseConnectionString(text);
      } catch (e) {
        assert.ok(ConnectionInputError.is(e));
        return e.message;
      }
      assert.fail(`${text} was accepted`);
    };
    assert.match(sentence(''), /Type a connection string/);
    assert.match(sentence('host=h dbname=d password=pw'), /not a connection URL/);
    assert.match(sentence('mysql://h/d'), /starts with postgres:\/\/ or postgresql:\/\/, not mysql:/);
    assert.match(sentence('postgres:///d'), /names no host/);
    assert.match(sentence('postgres://h/d?sslmode=maybe'), /sslmode=maybe is not one of disable/);
    assert.doesNotMatch(sentence('host=h password=hunter2'), /hunter2/);
  });

  it('builds a connection string from parts, with sslmode, and checks each part', () => {
    assert.equal(
      connectionStringOf({ host: 'db.local', port: 5433, database: 'my db', user: 'ädä', sslmode: 'no-verify' }),
      'postgres://%C3%A4d%C3%A4@db.local:5433/my%20db?sslmode=no-verify',
    );
    assert.equal(
      connectionStringOf({ host: '::1', port: 5432, database: 'd', user: 'u' }),
      'postgres://u@[::1]:5432/d',
    );
    assert.equal(checkPart('port', '0'), 'A port is a number from 1 to 65535.');
    assert.equal(checkPart('port', '5432'), undefined);
    assert.match(checkPart('host', 'a/b') ?? '', /no spaces, slashes/);
    assert.match(checkPart('user', ' ') ?? '', /Type a user name/);
    assert.throws(() => connectionStringOf({ host: '', port: 5432, database: 'd', user: 'u' }), ConnectionInputError);
  });

  describe('against a real server', function () {
    this.timeout(60_000);
    let server: PostgresServer;
    before(async () => {
      server = await sharedPostgres();
    });

    it('sslmode reaches pg: require on a server without SSL is refused in a sentence', async () => {
      const { connectionString } = parseConnectionString(`${server.url()}?sslmode=verify-full`);
      await assert.rejects(connectPostgres({ connectionString }), (error: Error) => {
        assert.match(error.message, /does not accept SSL connections: connect with sslmode=disable/);
        return true;
      });
      const plain = await connectPostgres({ connectionString: `${server.url()}?sslmode=disable` });
      await plain.end();
    });

    it('a wrong or missing password is one sentence without the password', async () => {
      const role = await addPasswordRole(server, 'input_ada', 'right-one');
      const url = `postgres://${role}@127.0.0.1:${server.port}/postgres`;
      await assert.rejects(connectPostgres({ connectionString: url, password: 'wrong-one' }), (error: Error) => {
        assert.equal(error.message, `PostgreSQL at ${url} refused the user name or password.`);
        return true;
      });
      await assert.rejects(connectPostgres({ connectionString: url }), (error: Error) => {
        assert.equal(error.message, `PostgreSQL at ${url} asks for a password, and none was given.`);
        return true;
      });
      const client = await connectPostgres({ connectionString: url, password: 'right-one' });
      await client.end();
    });
  });
});
