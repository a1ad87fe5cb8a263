%% actor_bench.erl: the Erlang/OTP side of `make bench-actor`, the same rows as the
%% Troupe driver (troupe-bench-actor) measured the same way: warm-up, then several runs,
%% latencies timed per round trip inside the initiating process, rates over whole runs.
%% bench/actor/run compiles it with erlc into the build tree and runs
%%   erl +P 4000000 -noshell -pa DIR -run actor_bench main OUTFILE full|quick [ROWS]
%% which appends "row unit value" lines to OUTFILE (ROWS: comma-separated groups, as the
%% driver's --rows; default all). Crash reports are switched off
%% (logger level none): the Troupe side logs nothing either.
%% The module is also the gen_server of the ask row and the supervisor/child of the
%% restart rows (init/1 tells them apart by its argument).
-module(actor_bench).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(NOW(), erlang:monotonic_time(nanosecond)).

main([Out, Mode]) ->
    main([Out, Mode, "pingpong,ask,ring,fanin,m2m,pubsub,restart,timer,spawn"]);
main([Out, Mode, RowList]) ->
    logger:set_primary_config(level, none),
    Cfg = case Mode of
              "quick" -> #{reps => 2, spawn_n => 100000, rtt_n => 20000,
                           ring_hops => 100000, fanin_per => 25000, timer_asks => 100000};
              _ -> #{reps => 7, spawn_n => 1000000, rtt_n => 200000,
                     ring_hops => 1000000, fanin_per => 250000, timer_asks => 1000000}
          end,
    {ok, Fd} = file:open(Out, [append]),
    Emit = fun(Row, Unit, V) ->
                   io:format(Fd, "~s ~s ~p~n", [Row, Unit, float(V)]),
                   io:format(standard_error, "  erlang ~-24s ~12.4g ~s~n", [Row, float(V), Unit])
           end,
    Rows = #{"pingpong" => fun pingpong/2, "ask" => fun ask/2, "ring" => fun ring/2,
             "fanin" => fun fanin/2, "m2m" => fun m2m/2, "pubsub" => fun pubsub/2,
             "restart" => fun restart/2, "timer" => fun timer/2, "spawn" => fun spawn_rows/2},
    lists:foreach(fun(R) -> (maps:get(R, Rows))(Cfg, Emit) end,
                  string:lexemes(RowList, ",")),
    file:close(Fd),
    halt(0).

%% ---- statistics -------------------------------------------------------------------
percentile(Sorted, P) ->
    T = list_to_tuple(Sorted),
    N = tuple_size(T),
    element(min(N, round(P * (N - 1)) + 1), T).

median(L) -> percentile(lists:sort(L), 0.5).

%% ---- ping-pong and ask ------------------------------------------------------------
echo() ->
    receive {From, X} -> From ! {pong, X}, echo() end.

pp_loop(_Peer, 0, _T, Acc) -> Acc;
pp_loop(Peer, K, T, Acc) ->
    Peer ! {self(), K},
    receive {pong, _} -> ok end,
    T2 = ?NOW(),
    pp_loop(Peer, K - 1, T2, [(T2 - T) / 1000 | Acc]).

call_loop(_Srv, 0, _T, Acc) -> Acc;
call_loop(Srv, K, T, Acc) ->
    K = gen_server:call(Srv, K),
    T2 = ?NOW(),
    call_loop(Srv, K - 1, T2, [(T2 - T) / 1000 | Acc]).

%% Runs F(N) in a fresh process (the initiator) and returns its samples.
in_proc(F) ->
    Self = self(),
    P = spawn(fun() -> Self ! {samples, self(), F()} end),
    receive {samples, P, S} -> S end.

rtt_rows(#{reps := Reps, rtt_n := N}, Emit, Loop, Row, P99Row) ->
    _ = in_proc(fun() -> Loop(N div 4) end),
    All = lists:append([in_proc(fun() -> Loop(N) end) || _ <- lists:seq(1, Reps)]),
    S = lists:sort(All),
    Emit(Row, "us", percentile(S, 0.5)),
    Emit(P99Row, "us", percentile(S, 0.99)).

pingpong(Cfg, Emit) ->
    Echo = spawn(fun echo/0),
    rtt_rows(Cfg, Emit, fun(N) -> pp_loop(Echo, N, ?NOW(), []) end,
             "pingpong_rtt_us", "pingpong_rtt_p99_us"),
    exit(Echo, kill).

ask(Cfg, Emit) ->
    {ok, Srv} = gen_server:start(?MODULE, server, []),
    rtt_rows(Cfg, Emit, fun(N) -> call_loop(Srv, N, ?NOW(), []) end,
             "ask_rtt_us", "ask_rtt_p99_us"),
    gen_server:stop(Srv).

%% ---- gen_server / supervisor callbacks ----------------------------------------------
init(server) -> {ok, server};
init({child, Driver}) -> Driver ! {up, self()}, {ok, child};
init({sup, Driver}) ->
    {ok, {#{strategy => one_for_one, intensity => 1000000, period => 3600},
          [#{id => child, start => {gen_server, start_link, [?MODULE, {child, Driver}, []]}}]}}.

handle_call(X, _From, S) -> {reply, X, S}.
handle_cast(_, S) -> {noreply, S}.
handle_info(crash, _S) -> exit(crash);
handle_info({ping, From}, S) -> From ! pong, {noreply, S};
handle_info(_, S) -> {noreply, S}.

%% ---- ring ---------------------------------------------------------------------------
ring_node(Main) -> receive {next, Next} -> ring_loop(Next, Main) end.
ring_loop(Next, Main) ->
    receive
        0 -> Main ! {ring_done, ?NOW()};
        K -> Next ! K - 1
    end,
    ring_loop(Next, Main).

ring_once(First, Hops) ->
    T0 = ?NOW(),
    First ! Hops,
    receive {ring_done, T1} -> Hops / ((T1 - T0) / 1.0e9) end.

ring(#{reps := Reps, ring_hops := Hops}, Emit) ->
    Main = self(),
    Nodes = [spawn(fun() -> ring_node(Main) end) || _ <- lists:seq(1, 10000)],
    [N ! {next, Nx} || {N, Nx} <- lists:zip(Nodes, tl(Nodes) ++ [hd(Nodes)])],
    _ = ring_once(hd(Nodes), Hops div 4),
    Rates = [ring_once(hd(Nodes), Hops) || _ <- lists:seq(1, Reps)],
    Emit("ring_msgs_per_s", "msgs/s", median(Rates)),
    Emit("ring_best_msgs_per_s", "msgs/s", lists:max(Rates)),
    [exit(N, kill) || N <- Nodes],
    ok.

%% ---- fan-in ---------------------------------------------------------------------------
sink(0, Main) -> Main ! {fanin_done, ?NOW()};
sink(K, Main) -> receive _ -> sink(K - 1, Main) end.

sender(_Sink, 0) -> ok;
sender(Sink, K) -> Sink ! K, sender(Sink, K - 1).

fanin_once(Per) ->
    Main = self(),
    Sink = spawn(fun() -> sink(8 * Per, Main) end),
    Senders = [spawn(fun() -> receive go -> sender(Sink, Per) end end) || _ <- lists:seq(1, 8)],
    T0 = ?NOW(),
    [S ! go || S <- Senders],
    receive {fanin_done, T1} -> 8 * Per / ((T1 - T0) / 1.0e9) end.

fanin(#{reps := Reps, fanin_per := Per}, Emit) ->
    _ = fanin_once(Per div 4),
    Rates = [fanin_once(Per) || _ <- lists:seq(1, Reps)],
    Emit("fanin_msgs_per_s", "msgs/s", median(Rates)),
    Emit("fanin_best_msgs_per_s", "msgs/s", lists:max(Rates)).

%% ---- many-to-many: 1,000 processes, each sends one message to every process ---------
m2m_init(Main) -> receive {targets, T} -> m2m_wait(Main, T, length(T)) end.
m2m_wait(Main, T, Per) ->
    receive go -> [P ! m || P <- T], m2m_recv(Per), Main ! m2m_done end,
    m2m_wait(Main, T, Per).
m2m_recv(0) -> ok;
m2m_recv(K) -> receive m -> m2m_recv(K - 1) end.

m2m_once(Procs) ->
    T0 = ?NOW(),
    [P ! go || P <- Procs],
    T1 = wait_done(length(Procs), m2m_done),
    length(Procs) * length(Procs) / ((T1 - T0) / 1.0e9).

wait_done(0, _) -> ?NOW();
wait_done(K, Tag) -> receive Tag -> wait_done(K - 1, Tag) end.

m2m(#{reps := Reps}, Emit) ->
    Main = self(),
    N = 1000,
    Procs = [spawn(fun() -> m2m_init(Main) end) || _ <- lists:seq(1, N)],
    Twice = list_to_tuple(Procs ++ Procs),
    %% process I sends to I+1, I+2, ..., I+N (itself last), like the Troupe actors
    [P ! {targets, [element(I + K, Twice) || K <- lists:seq(1, N)]}
     || {I, P} <- lists:zip(lists:seq(1, N), Procs)],
    _ = m2m_once(Procs),
    Emit("m2m_msgs_per_s", "msgs/s", median([m2m_once(Procs) || _ <- lists:seq(1, Reps)])),
    [exit(P, kill) || P <- Procs],
    ok.

%% ---- pub/sub fan-out: a publisher sending to each of 1,000 pids ------------------------
subscriber(Rounds, Main, Rounds) -> Main ! sub_done, subscriber(Rounds, Main, 0);
subscriber(Rounds, Main, Got) -> receive {pub, _} -> subscriber(Rounds, Main, Got + 1) end.

publish(_Subs, 0) -> ok;
publish(Subs, K) -> [S ! {pub, K} || S <- Subs], publish(Subs, K - 1).

wait_subs(0) -> ?NOW();
wait_subs(K) -> receive sub_done -> wait_subs(K - 1) end.

pub_once(Rounds) ->
    Main = self(),
    Subs = [spawn(fun() -> subscriber(Rounds, Main, 0) end) || _ <- lists:seq(1, 1000)],
    T0 = ?NOW(),
    spawn(fun() -> publish(Subs, Rounds) end),
    T1 = wait_subs(1000),
    [exit(S, kill) || S <- Subs],
    Rounds * 1000 / ((T1 - T0) / 1.0e9).

pubsub(#{reps := Reps}, Emit) ->
    _ = pub_once(250),
    Emit("broker_fanout_msgs_per_s", "msgs/s", median([pub_once(1000) || _ <- lists:seq(1, Reps)])).

%% ---- supervisor restarts ----------------------------------------------------------------
restart_loop(0, _Child, Acc) -> Acc;
restart_loop(K, Child, Acc) ->
    T0 = ?NOW(),
    Child ! crash,
    New = receive {up, C} -> C end,
    New ! {ping, self()},
    receive pong -> ok end,
    restart_loop(K - 1, New, [(?NOW() - T0) / 1000 | Acc]).

restart_series(N) ->
    in_proc(fun() ->
                    {ok, Sup} = supervisor:start_link(?MODULE, {sup, self()}),
                    Child0 = receive {up, C} -> C end,
                    S = restart_loop(N, Child0, []),
                    unlink(Sup),
                    Ref = monitor(process, Sup),
                    exit(Sup, shutdown),
                    receive {'DOWN', Ref, _, _, _} -> ok end,
                    S
            end).

restart(#{reps := Reps}, Emit) ->
    _ = restart_series(100),
    Small = lists:sort(lists:append([restart_series(100) || _ <- lists:seq(1, Reps)])),
    Big = lists:sort(restart_series(10000)),
    Emit("restart_p50_us", "us", percentile(Small, 0.5)),
    Emit("restart_p99_us", "us", percentile(Small, 0.99)),
    Emit("restart_p50_us_10k", "us", percentile(Big, 0.5)),
    Emit("restart_p99_us_10k", "us", percentile(Big, 0.99)).

%% ---- timer lateness under load ---------------------------------------------------------
%% As bench/actor/timer.c: 16 askers keep 64 requests each in flight to 1,000 responders
%% that burn 2 us of CPU per request before answering, until 1,000,000 requests were made;
%% 16 probers, idle but for this, each send a request a responder never answers and wait
%% for it in `receive ... after 2` (ms: Erlang's timeouts are whole milliseconds).
%% Lateness = the moment the after clause runs - (the moment before the send + 2 ms).
-define(TL_WINDOW, 64).
-define(TL_WORK_NS, 2000).
-define(TL_PROBE_MS, 2).

tl_responder() ->
    receive
        {work, From, Ref} -> tl_spin(?NOW() + ?TL_WORK_NS), From ! {Ref, ok};
        {mute, _From, _Ref} -> ok
    end,
    tl_responder().

tl_spin(End) ->
    case ?NOW() < End of
        true -> tl_spin(End);
        false -> ok
    end.

tl_pick(Resps) -> element(rand:uniform(tuple_size(Resps)), Resps).

%% Ctl: atomics {requests handed out, stopping}.
tl_issue(_Resps, _Ctl, _Target, 0, F) -> F;
tl_issue(Resps, Ctl, Target, K, F) ->
    case atomics:add_get(Ctl, 1, 1) =< Target of
        true ->
            tl_pick(Resps) ! {work, self(), make_ref()},
            tl_issue(Resps, Ctl, Target, K - 1, F + 1);
        false ->
            atomics:put(Ctl, 2, 1),
            F
    end.

tl_asker(Main, Resps, Ctl, Target, InFlight) ->
    N = receive
            go -> tl_issue(Resps, Ctl, Target, ?TL_WINDOW, InFlight);
            {_Ref, ok} -> tl_issue(Resps, Ctl, Target, 1, InFlight - 1)
        end,
    case N of
        0 -> Main ! tl_done; %% nothing in flight: only once stopping
        _ -> tl_asker(Main, Resps, Ctl, Target, N)
    end.

tl_prober(Main, Resps, Ctl, Acc) ->
    Ref = make_ref(),
    T0 = ?NOW(),
    tl_pick(Resps) ! {mute, self(), Ref},
    receive {Ref, _} -> ok after ?TL_PROBE_MS -> ok end,
    S = [(?NOW() - T0 - ?TL_PROBE_MS * 1000000) / 1000 | Acc],
    case atomics:get(Ctl, 2) of
        1 -> Main ! {tl_samples, S};
        0 -> tl_prober(Main, Resps, Ctl, S)
    end.

tl_once(Target) ->
    Main = self(),
    Ctl = atomics:new(2, []),
    Resps = list_to_tuple([spawn(fun tl_responder/0) || _ <- lists:seq(1, 1000)]),
    Askers = [spawn(fun() -> tl_asker(Main, Resps, Ctl, Target, 0) end) || _ <- lists:seq(1, 16)],
    Probers = [spawn(fun() -> receive go -> tl_prober(Main, Resps, Ctl, []) end end)
               || _ <- lists:seq(1, 16)],
    [P ! go || P <- Askers ++ Probers],
    _ = wait_done(16, tl_done),
    S = lists:append([receive {tl_samples, X} -> X end || _ <- Probers]),
    [exit(R, kill) || R <- tuple_to_list(Resps)],
    S.

timer(#{reps := Reps, timer_asks := N}, Emit) ->
    _ = tl_once(N div 4),
    S = lists:sort(lists:append([tl_once(N) || _ <- lists:seq(1, min(Reps, 3))])),
    Emit("timer_lateness_us_p50", "us", percentile(S, 0.5)),
    Emit("timer_lateness_us_p99", "us", percentile(S, 0.99)),
    Emit("timer_lateness_us_max", "us", lists:last(S)).

%% ---- spawn and idle memory ----------------------------------------------------------------
idle() -> receive stop -> ok end.

spawn_n(0, Acc) -> Acc;
spawn_n(K, Acc) -> spawn_n(K - 1, [spawn(fun idle/0) | Acc]).

%% Until every spawned process has run to its receive (the Troupe side waits for every init).
wait_quiet() ->
    case erlang:statistics(total_run_queue_lengths) of
        0 -> ok;
        _ -> timer:sleep(1), wait_quiet()
    end.

wait_count(Base) ->
    case erlang:system_info(process_count) =< Base of
        true -> ok;
        false -> timer:sleep(1), wait_count(Base)
    end.

%% One run in a fresh process: {spawn_us, bytes per process, exit_us}. The runner's own
%% heap (the list of pids) is subtracted from the growth of memory(processes).
spawn_once(N) ->
    in_proc(fun() ->
                    garbage_collect(),
                    Base = erlang:system_info(process_count),
                    M0 = erlang:memory(processes),
                    {memory, Own0} = process_info(self(), memory),
                    T0 = ?NOW(),
                    Pids = spawn_n(N, []),
                    wait_quiet(),
                    T1 = ?NOW(),
                    M1 = erlang:memory(processes),
                    {memory, Own1} = process_info(self(), memory),
                    T2 = ?NOW(),
                    [P ! stop || P <- Pids],
                    wait_count(Base),
                    T3 = ?NOW(),
                    {(T1 - T0) / 1000 / N, (M1 - M0 - (Own1 - Own0)) / N, (T3 - T2) / 1000 / N}
            end).

spawn_series(N, Suffix, Memory, Emit) ->
    Runs = [spawn_once(N) || _ <- lists:seq(1, 3)],
    [{Cold, Bytes, _} | _] = Runs,
    Emit("spawn_cold_us" ++ Suffix, "us", Cold),
    Emit("spawn_us" ++ Suffix, "us", median([S || {S, _, _} <- Runs])),
    %% Erlang's spawns are always made by a process: the reference for spawning from an actor.
    case Suffix of
        "" -> Emit("spawn_in_actor_us", "us", median([S || {S, _, _} <- Runs]));
        _ -> ok
    end,
    Emit("exit_us" ++ Suffix, "us", median([E || {_, _, E} <- Runs])),
    case Memory of
        true -> Emit("idle_actor_bytes", "bytes", Bytes);
        false -> ok
    end.

spawn_rows(#{spawn_n := N}, Emit) ->
    spawn_series(N div 10, "_100k", false, Emit),
    spawn_series(N, "", true, Emit).
