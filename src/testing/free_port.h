// A TCP port on 127.0.0.1 that was free a moment ago (0 if none could be found), for the
// throwaway servers tests start (PostgreSQL, nats-server). Another process may take it
// before the server binds it; the servers' starters report that as a start failure.
#ifndef LFR_TESTING_FREE_PORT_H_
#define LFR_TESTING_FREE_PORT_H_

namespace lfr::testing {

int FreePort();

}  // namespace lfr::testing

#endif  // LFR_TESTING_FREE_PORT_H_
