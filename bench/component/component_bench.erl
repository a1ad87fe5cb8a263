%% component_bench.erl: the Erlang/OTP side of `make bench-component`: for each row of
%% the component driver (troupe-bench-component) that has a process counterpart, the
%% same program with plain processes, measured the same way. bench/component/run
%% compiles it with erlc into the build tree and runs, group by group,
%%   erl +P 4000000 -noshell -pa DIR -run component_bench main OUTFILE full|quick GROUP
%% appending "row unit value" lines to OUTFILE. Groups: spawn memory ask ring restart
%% echo (the echo group is run with +S 1: one scheduler, as the Troupe row's one worker).
%% Crash reports are switched off (logger level none): the Troupe host has no logger.
%% The module is also the gen_server of the ask and echo rows and the supervisor/child of
%% the restart row (init/1 tells them apart by its argument).
-module(component_bench).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(NOW(), erlang:monotonic_time(nanosecond)).

main([Out, Mode, Group]) ->
    logger:set_primary_config(level, none),
    Quick = Mode =:= "quick",
    Cfg = case Quick of
              true -> #{spawn_n => 1000, idle_n => 10000, live_s => 5, live_max => 20000,
                        rtt_n => 2000, ring_n => 1000, ring_hops => 100000, restarts => 100,
                        echo_n => 1000};
              false -> #{spawn_n => 5000, idle_n => 100000, live_s => 180, live_max => 1000000,
                         rtt_n => 20000, ring_n => 10000, ring_hops => 1000000,
                         restarts => 500, echo_n => 5000}
          end,
    {ok, Fd} = file:open(Out, [append]),
    Emit = fun(Row, Unit, V) ->
                   io:format(Fd, "~s ~s ~p~n", [Row, Unit, float(V)]),
                   io:format(standard_error, "  erlang ~-28s ~12.4g ~s~n", [Row, float(V), Unit])
           end,
    Rows = #{"spawn" => fun spawn_rows/2, "memory" => fun memory_rows/2,
             "ask" => fun ask/2, "ring" => fun ring/2, "restart" => fun restart/2,
             "echo" => fun echo/2},
    case maps:find(Group, Rows) of
        {ok, F} -> F(Cfg, Emit);
        error -> ok %% a group without an Erlang counterpart (invoke)
    end,
    file:close(Fd),
    halt(0).

percentile(Sorted, P) ->
    T = list_to_tuple(Sorted),
    N = tuple_size(T),
    element(min(N, round(P * (N - 1)) + 1), T).

%% Runs F() in a fresh process and returns its result.
in_proc(F) ->
    Self = self(),
    P = spawn(fun() -> Self ! {result, self(), F()} end),
    receive {result, P, R} -> R end.

%% ---- spawn: one process at a time, until it has run (its first message back) -------
idle(Parent) -> Parent ! {ready, self()}, receive stop -> ok end.

spawn_one() ->
    Self = self(),
    T0 = ?NOW(),
    P = spawn(fun() -> idle(Self) end),
    receive {ready, P} -> ok end,
    {P, (?NOW() - T0) / 1000}.

spawn_rows(#{spawn_n := N}, Emit) ->
    S = in_proc(fun() ->
                        _ = [spawn_one() || _ <- lists:seq(1, 200)],
                        [element(2, spawn_one()) || _ <- lists:seq(1, N)]
                end),
    Sorted = lists:sort(S),
    Emit("spawn_us_median", "us", percentile(Sorted, 0.5)),
    Emit("spawn_us_p99", "us", percentile(Sorted, 0.99)),
    %% Churn: spawn one (timed), stop it and wait until it is gone, spawn the next.
    C = in_proc(fun() -> [churn_one() || _ <- lists:seq(1, N)] end),
    CSorted = lists:sort(C),
    Emit("spawn_churn_us_median", "us", percentile(CSorted, 0.5)),
    Emit("spawn_churn_us_p99", "us", percentile(CSorted, 0.99)).

churn_one() ->
    {P, Us} = spawn_one(),
    Ref = erlang:monitor(process, P),
    P ! stop,
    receive {'DOWN', Ref, process, P, _} -> ok end,
    Us.

%% ---- idle memory and the live count ---------------------------------------------------
%% Processes spawned one at a time as above (each has run); memory(processes) growth
%% per process at idle_n, minus the spawner's own heap (its pid list); then on until
%% live_max or live_s seconds.
live_loop(K, Max, _Deadline, Acc) when K >= Max -> {K, Acc};
live_loop(K, Max, Deadline, Acc) ->
    case K rem 1024 =:= 0 andalso ?NOW() > Deadline of
        true -> {K, Acc};
        false ->
            {P, _} = spawn_one(),
            live_loop(K + 1, Max, Deadline, [P | Acc])
    end.

memory_rows(#{idle_n := IdleN, live_s := LiveS, live_max := Max}, Emit) ->
    in_proc(fun() ->
                    garbage_collect(),
                    M0 = erlang:memory(processes),
                    {memory, Own0} = process_info(self(), memory),
                    T0 = ?NOW(),
                    Deadline = T0 + LiveS * 1000000000,
                    {K1, Acc1} = live_loop(0, IdleN, Deadline, []),
                    M1 = erlang:memory(processes),
                    {memory, Own1} = process_info(self(), memory),
                    Emit("component_idle_bytes", "bytes", (M1 - M0 - (Own1 - Own0)) / K1),
                    Emit("component_idle_n", "count", K1),
                    {K2, Acc2} = live_loop(K1, Max, Deadline, Acc1),
                    Emit("live_components", "count", K2),
                    Emit("live_rss_bytes", "bytes", erlang:memory(total)),
                    [P ! stop || P <- Acc2],
                    ok
            end).

%% ---- ask: gen_server:call ----------------------------------------------------------------
call_loop(_Srv, 0, _T, Acc) -> Acc;
call_loop(Srv, K, T, Acc) ->
    K = gen_server:call(Srv, K),
    T2 = ?NOW(),
    call_loop(Srv, K - 1, T2, [(T2 - T) / 1000 | Acc]).

ask(#{rtt_n := N}, Emit) ->
    {ok, Srv} = gen_server:start(?MODULE, server, []),
    _ = in_proc(fun() -> call_loop(Srv, N div 4, ?NOW(), []) end),
    All = lists:append([in_proc(fun() -> call_loop(Srv, N, ?NOW(), []) end)
                        || _ <- lists:seq(1, 3)]),
    S = lists:sort(All),
    Emit("ask_rtt_us_median", "us", percentile(S, 0.5)),
    Emit("ask_rtt_us_p99", "us", percentile(S, 0.99)),
    gen_server:stop(Srv).

%% ---- gen_server / supervisor callbacks ----------------------------------------------------
init(server) -> {ok, server};
init({child, Driver}) -> Driver ! {up, self()}, {ok, child};
init({sup, Driver}) ->
    {ok, {#{strategy => one_for_one, intensity => 1000000000, period => 1},
          [#{id => child, start => {gen_server, start_link, [?MODULE, {child, Driver}, []]}}]}}.

handle_call(X, _From, S) -> {reply, X, S}.
handle_cast(_, S) -> {noreply, S}.
handle_info(crash, _S) -> exit(crash);
handle_info(_, S) -> {noreply, S}.

%% ---- ring: 10,000 processes, one token -----------------------------------------------------
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

ring(#{ring_n := N, ring_hops := Hops}, Emit) ->
    Main = self(),
    Nodes = [spawn(fun() -> ring_node(Main) end) || _ <- lists:seq(1, N)],
    [Nd ! {next, Nx} || {Nd, Nx} <- lists:zip(Nodes, tl(Nodes) ++ [hd(Nodes)])],
    _ = ring_once(hd(Nodes), Hops div 4),
    Rates = lists:sort([ring_once(hd(Nodes), Hops) || _ <- lists:seq(1, 3)]),
    Emit("wasm_msgs_per_s", "msgs/s", lists:nth(2, Rates)),
    Emit("wasm_best_msgs_per_s", "msgs/s", lists:max(Rates)),
    [exit(Nd, kill) || Nd <- Nodes],
    ok.

%% ---- restart: crash -> the restarted child's init tells the driver -> call answered -----
restart_loop(0, _Child, Acc) -> Acc;
restart_loop(K, Child, Acc) ->
    T0 = ?NOW(),
    Child ! crash,
    New = receive {up, C} -> C end,
    1 = gen_server:call(New, 1),
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

restart(#{restarts := N}, Emit) ->
    _ = restart_series(50),
    S = lists:sort(restart_series(N) ++ restart_series(N)),
    Emit("restart_us_median", "us", percentile(S, 0.5)),
    Emit("restart_us_p99", "us", percentile(S, 0.99)).

%% ---- echo beside a spinner (run with +S 1) ------------------------------------------------
spin(K) -> spin(K + 1).

echo_rows(Srv, N) ->
    S = lists:sort(in_proc(fun() -> call_loop(Srv, N, ?NOW(), []) end)),
    {percentile(S, 0.5), percentile(S, 0.99)}.

echo(#{echo_n := N}, Emit) ->
    {ok, Srv} = gen_server:start(?MODULE, server, []),
    _ = echo_rows(Srv, 500),
    {M0, P0} = echo_rows(Srv, 2000),
    Emit("echo_us_median_idle", "us", M0),
    Emit("echo_p99_us_idle", "us", P0),
    Spinner = spawn(fun() -> spin(0) end),
    timer:sleep(20),
    {M1, P1} = echo_rows(Srv, N),
    Emit("echo_us_median_with_spinner", "us", M1),
    Emit("echo_p99_us_with_spinner", "us", P1),
    exit(Spinner, kill),
    gen_server:stop(Srv).
