import type {
  ClientMessage,
  CompileRequest,
  DataReplies,
  SimpleRequest,
  SimpleRequestType,
} from '../protocol/messages.js';
import type { Exchange } from './exchange.js';

/** Answers a request for data: what it returns is sent as the DataReply of that request type. */
export type DataRequestHandler<Type extends SimpleRequestType> = (
  request: SimpleRequest<Type>,
) => DataReplies[Type] | Promise<DataReplies[Type]>;

/**
 * One handler per request type that opens a conversation. `compile` talks with its client through the
 * exchange (wait, run, store, hit, restored …); every other request is answered with its data.
 * (`subscribe` never reaches the table: the connection hands the socket to the live feed.)
 */
export type RequestHandlers = {
  compile(request: CompileRequest, exchange: Exchange): Promise<void>;
} & DataRequestHandlers;

export type DataRequestHandlers = { [Type in SimpleRequestType]: DataRequestHandler<Type> };

const DATA_REQUESTS: readonly string[] = [
  'stats',
  'zero-stats',
  'status',
  'shutdown',
  'why-history',
] satisfies SimpleRequestType[];

function isDataRequest(message: ClientMessage): message is SimpleRequest {
  return DATA_REQUESTS.includes(message.type);
}

async function answerData<Type extends SimpleRequestType>(
  handlers: DataRequestHandlers,
  request: SimpleRequest<Type>,
  exchange: Exchange,
): Promise<void> {
  const handler: DataRequestHandler<Type> = handlers[request.type];
  exchange.reply({ type: 'data', data: await handler(request) });
}

/** Answers the first message of a conversation with its type's handler. */
export async function dispatchRequest(
  handlers: RequestHandlers,
  message: ClientMessage,
  exchange: Exchange,
): Promise<void> {
  if (message.type === 'compile') return handlers.compile(message, exchange);
  if (isDataRequest(message)) return answerData(handlers, message, exchange);
  exchange.reply({ type: 'error', message: `unknown request type '${(message as { type: string }).type}'` });
}
