import {
  cartDecider,
  cartStreamId,
  MAX_PRICE,
  MAX_QUANTITY,
  type CartCommand,
  type CartEvent,
  type CartState,
} from './cart';
import type { CommandSchema, FieldSchema } from './commandSchema';
import type { Decider, Message } from './decider';
import { ID_HINT, ID_PATTERN } from './identifiers';
import {
  inventoryDecider,
  MAX_NOTICE_LENGTH,
  MAX_STOCK,
  noticeDecider,
  noticeStreamId,
  stockStreamId,
  type CustomerNotified,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
  type NoticeState,
  type NotifyCustomer,
} from './inventory';
import {
  MAX_USER_NAME_LENGTH,
  userDecider,
  userStreamId,
  type UserCommand,
  type UserEvent,
  type UserState,
} from './user';

/** What the command handler needs to route a command to its aggregate's stream and decider. */
export interface AggregateDefinition<C extends Message = Message, E extends Message = Message, S = unknown> {
  /** Shown to people: "User". */
  readonly name: string;
  /** One sentence for newcomers: what this aggregate guards. */
  readonly description?: string;
  readonly commandTypes: readonly C['type'][];
  readonly eventTypes: readonly E['type'][];
  /** Streams of this aggregate start with this prefix, e.g. "user-". */
  readonly streamPrefix: string;
  streamId(command: C): string;
  readonly decider: Decider<C, E, S>;
  /**
   * The data each command takes, field by field: the palette asks for it and the command handler
   * checks it before deciding. Optional: a command without a schema goes to `decide` as it is.
   */
  readonly commandSchemas?: readonly CommandSchema[];
}

const idField = (name: string, title: string, description: string): FieldSchema => ({
  name,
  type: 'string',
  title,
  description,
  pattern: ID_PATTERN,
  patternHint: ID_HINT,
  id: true,
});

export const userAggregate: AggregateDefinition<UserCommand, UserEvent, UserState> = {
  name: 'User',
  description: 'A person using the system: created once, renamed while active, deactivated for good.',
  commandTypes: ['CreateUser', 'RenameUser', 'DeactivateUser'],
  eventTypes: ['UserCreated', 'UserRenamed', 'UserDeactivated'],
  streamPrefix: 'user-',
  streamId: (command) => userStreamId(command.data.userId),
  decider: userDecider,
  commandSchemas: [
    {
      type: 'CreateUser',
      description: 'Creates a user with a new id; refused when the id already exists.',
      fields: [
        idField('userId', 'User id', 'Identifies the user: its stream is user-<id>.'),
        { name: 'name', type: 'string', title: 'Name', maxLength: MAX_USER_NAME_LENGTH, examples: ['Ada Lovelace'] },
      ],
    },
    {
      type: 'RenameUser',
      description: 'Gives an active user a new name.',
      fields: [
        idField('userId', 'User id', 'The user to rename.'),
        { name: 'name', type: 'string', title: 'New name', maxLength: MAX_USER_NAME_LENGTH },
      ],
    },
    {
      type: 'DeactivateUser',
      description: 'Deactivates an active user; a deactivated user cannot be renamed.',
      fields: [
        idField('userId', 'User id', 'The user to deactivate.'),
        { name: 'reason', type: 'string', title: 'Reason', optional: true, maxLength: 200 },
      ],
    },
  ],
};

export const cartAggregate: AggregateDefinition<CartCommand, CartEvent, CartState> = {
  name: 'Cart',
  description:
    'A shopping cart: items are added and removed until it is confirmed or cancelled; then it never changes again.',
  commandTypes: ['AddItem', 'RemoveItem', 'ConfirmCart', 'CancelCart'],
  eventTypes: ['ItemAdded', 'ItemRemoved', 'CartConfirmed', 'CartCancelled'],
  streamPrefix: 'cart-',
  streamId: (command) => cartStreamId(command.data.cartId),
  decider: cartDecider,
  commandSchemas: [
    {
      type: 'AddItem',
      description: 'Adds units of a product to a cart (opening the cart with its first item).',
      fields: [
        idField('cartId', 'Cart id', 'Identifies the cart: its stream is cart-<id>.'),
        {
          name: 'productId',
          type: 'string',
          title: 'Product',
          pattern: ID_PATTERN,
          patternHint: ID_HINT,
          examples: ['book', 'pen'],
        },
        { name: 'quantity', type: 'integer', title: 'Quantity', minimum: 1, maximum: MAX_QUANTITY, examples: [1] },
        {
          name: 'unitPrice',
          type: 'number',
          title: 'Unit price',
          minimum: 0,
          maximum: MAX_PRICE,
          decimals: 2,
          examples: [12.5],
        },
      ],
    },
    {
      type: 'RemoveItem',
      description: 'Removes units of a product that is in the cart (all of them when no quantity is given).',
      fields: [
        idField('cartId', 'Cart id', 'The cart to change.'),
        { name: 'productId', type: 'string', title: 'Product', pattern: ID_PATTERN, patternHint: ID_HINT },
        {
          name: 'quantity',
          type: 'integer',
          title: 'Quantity',
          minimum: 1,
          maximum: MAX_QUANTITY,
          optional: true,
          description: 'Leave empty to remove them all.',
        },
      ],
    },
    {
      type: 'ConfirmCart',
      description: 'Confirms a cart that has items; a confirmed cart never changes again.',
      fields: [idField('cartId', 'Cart id', 'The cart to confirm.')],
    },
    {
      type: 'CancelCart',
      description: 'Cancels an open cart; a cancelled cart never changes again.',
      fields: [
        idField('cartId', 'Cart id', 'The cart to cancel.'),
        { name: 'reason', type: 'string', title: 'Reason', optional: true, maxLength: 200 },
      ],
    },
  ],
};

const productField = (description: string): FieldSchema => ({
  ...idField('productId', 'Product', description),
  examples: ['book', 'pen'],
});

export const inventoryAggregate: AggregateDefinition<InventoryCommand, InventoryEvent, InventoryState> = {
  name: 'Inventory',
  description:
    'The stock of one product: reserved for confirmed carts while enough is left, released by the cart that held it.',
  commandTypes: ['RestockProduct', 'ReserveStock', 'ReleaseStock'],
  eventTypes: ['ProductRestocked', 'StockReserved', 'StockReleased'],
  streamPrefix: 'stock-',
  streamId: (command) => stockStreamId(command.data.productId),
  decider: inventoryDecider,
  commandSchemas: [
    {
      type: 'RestockProduct',
      description: 'Adds units of a product to the stock.',
      fields: [
        productField('Identifies the product: its stock stream is stock-<id>.'),
        { name: 'quantity', type: 'integer', title: 'Quantity', minimum: 1, maximum: MAX_STOCK, examples: [5] },
      ],
    },
    {
      type: 'ReserveStock',
      description: 'Sets units aside for a cart; refused when fewer are left. Issued by the stock reservation.',
      fields: [
        productField('The product to reserve.'),
        { name: 'quantity', type: 'integer', title: 'Quantity', minimum: 1, maximum: MAX_STOCK },
        { ...idField('cartId', 'Cart id', 'The cart the units are for.'), id: false },
      ],
    },
    {
      type: 'ReleaseStock',
      description: 'Gives back what a cart had reserved.',
      fields: [
        productField('The product to release.'),
        { ...idField('cartId', 'Cart id', 'The cart that holds the units.'), id: false },
      ],
    },
  ],
};

export const noticeAggregate: AggregateDefinition<NotifyCustomer, CustomerNotified, NoticeState> = {
  name: 'Customer notice',
  description: 'What the customer of a cart was told: said once, never taken back.',
  commandTypes: ['NotifyCustomer'],
  eventTypes: ['CustomerNotified'],
  streamPrefix: 'notice-',
  streamId: (command) => noticeStreamId(command.data.cartId),
  decider: noticeDecider,
  commandSchemas: [
    {
      type: 'NotifyCustomer',
      description: 'Tells the customer of a cart something, once.',
      fields: [
        idField('cartId', 'Cart id', 'The cart the notice is about: its stream is notice-<id>.'),
        { name: 'message', type: 'string', title: 'Message', maxLength: MAX_NOTICE_LENGTH },
      ],
    },
  ],
};

// The registry is heterogeneous: each definition is typed on its own, the registry only routes.
export const builtInAggregates: readonly AggregateDefinition[] = [
  userAggregate,
  cartAggregate,
  inventoryAggregate,
  noticeAggregate,
];

export function aggregateForCommand(
  aggregates: readonly AggregateDefinition[],
  commandType: string,
): AggregateDefinition | undefined {
  return aggregates.find((a) => a.commandTypes.includes(commandType));
}

export function aggregateForStream(
  aggregates: readonly AggregateDefinition[],
  streamId: string,
): AggregateDefinition | undefined {
  return aggregates.find((a) => streamId.startsWith(a.streamPrefix));
}

export function commandSchemaFor(aggregate: AggregateDefinition, commandType: string): CommandSchema | undefined {
  return aggregate.commandSchemas?.find((s) => s.type === commandType);
}
