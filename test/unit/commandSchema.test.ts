import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtInAggregates, commandSchemaFor } from '../../src/core/domain/aggregates';
import { cartDecider, MAX_PRICE, MAX_QUANTITY } from '../../src/core/domain/cart';
import {
  checkCommandData,
  checkCommandSchema,
  parseFieldInput,
  type FieldSchema,
} from '../../src/core/domain/commandSchema';
import { userDecider } from '../../src/core/domain/user';

const root = path.resolve(__dirname, '..', '..', '..');
const quantity: FieldSchema = { name: 'quantity', type: 'integer', title: 'Quantity', minimum: 1, maximum: 999 };
const price: FieldSchema = { name: 'unitPrice', type: 'number', title: 'Unit price', minimum: 0, decimals: 2 };

describe('Command schemas', () => {
  it('turns typed text into the field value, or says what is wrong with it, naming the field', () => {
    assert.deepEqual(parseFieldInput(quantity, ' 3 '), { value: 3 });
    assert.deepEqual(parseFieldInput(quantity, 'three'), { error: 'Quantity must be a number; "three" is not.' });
    assert.deepEqual(parseFieldInput(quantity, '1.5'), { error: 'Quantity must be a whole number.' });
    assert.deepEqual(parseFieldInput(quantity, '0'), { error: 'Quantity must be from 1 to 999.' });
    assert.deepEqual(parseFieldInput(quantity, ''), { error: 'Quantity is required.' });
    assert.deepEqual(parseFieldInput({ ...quantity, optional: true }, ''), { value: undefined });
    assert.deepEqual(parseFieldInput(price, '12.50'), { value: 12.5 });
    assert.deepEqual(parseFieldInput(price, '1.234'), { error: 'Unit price has at most 2 decimals.' });
    assert.deepEqual(parseFieldInput({ name: 'vip', type: 'boolean' }, 'yes'), { value: true });
    assert.deepEqual(parseFieldInput({ name: 'size', type: 'string', enum: ['S', 'M'] }, 'L'), {
      error: 'size must be one of "S", "M".',
    });
    assert.deepEqual(
      parseFieldInput({ name: 'code', type: 'string', pattern: '[a-z]+', patternHint: 'lower-case letters' }, 'A1'),
      { error: 'code "A1" is not valid: use lower-case letters.' },
    );
  });

  it('checks command data field by field, every problem at once', () => {
    const cart = builtInAggregates.find((a) => a.name === 'Cart')!;
    const errors = checkCommandData(commandSchemaFor(cart, 'AddItem')!, {
      cartId: 'c 1',
      quantity: 1000,
      unitPrice: 'free',
    });
    assert.deepEqual(
      errors.map((e) => e.field),
      ['cartId', 'productId', 'quantity', 'unitPrice'],
    );
  });

  it('every built-in command has a schema, and every schema is well formed', () => {
    for (const aggregate of builtInAggregates) {
      for (const type of aggregate.commandTypes) {
        const schema = commandSchemaFor(aggregate, type);
        assert.ok(schema, `${type} has a schema`);
        assert.deepEqual(checkCommandSchema(schema, type), []);
        assert.ok(
          schema.fields.some((f) => f.id),
          `${type} names its instance`,
        );
      }
    }
  });

  it('the example domain is the same in the fixture, the extension media and docs/domain.md', () => {
    const fixture = fs.readFileSync(
      path.join(root, 'test', 'fixtures', 'workspace-domain', '.eventstore', 'domain.js'),
      'utf8',
    );
    assert.equal(fs.readFileSync(path.join(root, 'media', 'domain', 'domain.example.js'), 'utf8'), fixture);
    assert.ok(fs.readFileSync(path.join(root, 'docs', 'domain.md'), 'utf8').includes('```js\n' + fixture + '```'));
  });

  it('the schema and the decider accept and refuse the same ids, quantities and prices', () => {
    const cart = builtInAggregates.find((a) => a.name === 'Cart')!;
    const user = builtInAggregates.find((a) => a.name === 'User')!;
    const addItem = (data: Record<string, unknown>) => ({
      cartId: 'c1',
      productId: 'pen',
      quantity: 1,
      unitPrice: 1,
      ...data,
    });
    const cases: Record<string, unknown>[] = [
      { quantity: MAX_QUANTITY },
      { quantity: MAX_QUANTITY + 1 },
      { quantity: 0 },
      { unitPrice: MAX_PRICE },
      { unitPrice: MAX_PRICE + 1 },
      { unitPrice: 1.005 },
      { cartId: 'a'.repeat(64) },
      { cartId: 'a'.repeat(65) },
      { productId: '-pen' },
      { productId: 'pen_2' },
    ];
    for (const data of cases) {
      const schemaAccepts = checkCommandData(commandSchemaFor(cart, 'AddItem')!, addItem(data)).length === 0;
      let deciderAccepts = true;
      try {
        cartDecider.decide({ type: 'AddItem', data: addItem(data) as never }, cartDecider.initialState());
      } catch {
        deciderAccepts = false;
      }
      assert.equal(
        schemaAccepts,
        deciderAccepts,
        `AddItem ${JSON.stringify(data)}: schema ${schemaAccepts}, decider ${deciderAccepts}`,
      );
    }
    for (const userId of ['u1', 'u'.repeat(64), 'u'.repeat(65), '_u', 'a b']) {
      const schemaAccepts =
        checkCommandData(commandSchemaFor(user, 'CreateUser')!, { userId, name: 'Ada' }).length === 0;
      let deciderAccepts = true;
      try {
        userDecider.decide({ type: 'CreateUser', data: { userId, name: 'Ada' } }, userDecider.initialState());
      } catch {
        deciderAccepts = false;
      }
      assert.equal(
        schemaAccepts,
        deciderAccepts,
        `CreateUser ${JSON.stringify(userId)}: schema ${schemaAccepts}, decider ${deciderAccepts}`,
      );
    }
  });
});
