/**
 * The life of a remote tracker's delivery, in one place: its states, the events that move it from one to the
 * next (and which module raises each), and what a delivery round does in each. The state changes only through
 * `transition` (delivery_core.ts `on`); delivery.ts asks `roundAction` what each round does.
 *
 *   opening ──opened──► connecting ──created──► delivering ◄──answered/created── outage
 *                          │  ▲                    │    └────────failed────────►  │ ▲ failed
 *                          │  └─────────────────── │ ─────────── failed ───────►  │ ┘
 *                          └─refused─► stopped ◄───┴──refused───────────────────────┘
 *   opening ──offline──► offline (nothing is sent: the spool keeps everything for `gymnos sync`)
 *   any state ──stop──► stopping (all but closed) ──close──► closed ◄──close── any state
 *
 * What happens to a record logged in each state: it is queued in memory (moved to the spool, synchronously, when
 * the queue is full), in every state but `closed`; then:
 * - `opening`: the spool is being opened and locked; no round runs yet.
 * - `connecting`: the run does not exist on the server yet: a round creates it first, then sends (while a request
 *   must wait, as in `delivering`).
 * - `delivering`: the server answers: a round sends the spool's records, then the memory queue's, the status last;
 *   while a request must wait (the backend's rate limit, a request in doubt awaited), rounds move the memory queue
 *   to the spool, so that a process killed meanwhile loses at most what one round interval logged.
 * - `outage`: the last attempt failed and a retry may help: until the backoff ends, a round moves the memory queue
 *   to the spool; then it tries again. `flush()` and `end()` try at once and wait (end at most endTimeoutMs; flush
 *   makes one attempt when the outage was already known); what is still queued at the end stays in the spool.
 * - `stopped`: the server refused the run for good (unknown run, refused credentials): nothing more is sent this
 *   session; rounds move the memory queue to the spool, for a later delivery.
 * - `offline`: the backend's offline mode (COMET_START_ONLINE=0, WANDB_MODE=offline): nothing is sent this
 *   session; rounds move the memory queue to the spool, which `gymnos sync` delivers later.
 * - `stopping`: `stop()` (an interrupted `gymnos sync`): no new request starts; the one in flight is waited for
 *   and accounted for.
 * - `closed`: `close()`: the request in flight is aborted, the memory queue moved to the spool, the lock released.
 */

export type DeliveryState =
  'opening' | 'connecting' | 'delivering' | 'outage' | 'stopped' | 'offline' | 'stopping' | 'closed';

export type DeliveryEvent =
  /** The spool is open (or cannot be: the delivery then keeps what it cannot send in memory). delivery.ts. */
  | 'opened'
  /** The spool is open, in a session that sends nothing (the backend's offline mode). delivery.ts. */
  | 'offline'
  /** The run exists on the server (known from the spool: delivery.ts; created now: request_step.ts). */
  | 'created'
  /** A request went through (or the server answered a question about a request in doubt). outcomes.ts. */
  | 'answered'
  /**
   * A request failed and a retry may help: no answer, a timeout, 408, 429, 5xx, an answer that is not the API's.
   * outcomes.ts.
   */
  | 'failed'
  /** The server refused the run for good. outcomes.ts. */
  | 'refused'
  /** `stop()`: an interrupted `gymnos sync`. delivery.ts. */
  | 'stop'
  /** `close()`. delivery.ts. */
  | 'close';

/**
 * The transitions; an event a state does not list leaves it as it is (an answer to a request in flight while
 * stopping, say).
 */
const TRANSITIONS: { readonly [S in DeliveryState]: { readonly [E in DeliveryEvent]?: DeliveryState } } = {
  opening: { opened: 'connecting', offline: 'offline', stop: 'stopping', close: 'closed' },
  connecting: { created: 'delivering', failed: 'outage', refused: 'stopped', stop: 'stopping', close: 'closed' },
  delivering: { failed: 'outage', refused: 'stopped', stop: 'stopping', close: 'closed' },
  outage: { answered: 'delivering', created: 'delivering', refused: 'stopped', stop: 'stopping', close: 'closed' },
  stopped: { stop: 'stopping', close: 'closed' },
  offline: { stop: 'stopping', close: 'closed' },
  stopping: { close: 'closed' },
  closed: {},
};

export function transition(state: DeliveryState, event: DeliveryEvent): DeliveryState {
  return TRANSITIONS[state][event] ?? state;
}

/**
 * What a round does in `state`: send (requests, one at a time), spill (move the memory queue to the spool), or
 * nothing. `mayAttempt`: the retry policy allows a request now (no backoff running, no request in doubt awaited).
 */
export function roundAction(state: DeliveryState, mayAttempt: boolean): 'send' | 'spill' | 'nothing' {
  switch (state) {
    case 'connecting':
    case 'delivering':
    case 'outage':
      return mayAttempt ? 'send' : 'spill';
    case 'stopped':
    case 'offline':
      return 'spill';
    case 'opening':
    case 'stopping':
    case 'closed':
      return 'nothing';
  }
}
