# Runs each `einvoice bench` mode briefly so that they keep working (no figure is asserted:
# speed is measured with the benchmark, not with tests). -DCLI=<einvoice> -DDIR=<scratch>.
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
function(run expect)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN} failed (${rc}): ${out} ${err}")
  endif()
  if(NOT out MATCHES "${expect}")
    message(FATAL_ERROR "${ARGN}: expected '${expect}' in: ${out}")
  endif()
  message(STATUS "${out}")
endfunction()
run("Poco trivial request" "${CLI}" bench bounds --seconds 2)
run("wrote 3000 entries" "${CLI}" chain synth --node-db "${DIR}/chain.db" --entries 3000 --per-block 100)
run("full verification: 3000 entries" "${CLI}" bench verify --node-db "${DIR}/chain.db")
run("inclusion proof at 3000 entries" "${CLI}" bench proof --node-db "${DIR}/chain.db" --samples 200)
run("catch-up of a wiped node: 3000 entries" "${CLI}" bench catchup --node-db "${DIR}/chain.db")
run("catch-up of a wiped node: 3000 entries.*every entry in full" "${CLI}" bench catchup --node-db "${DIR}/chain.db"
    --full-entries)
# An authority's start over a chain of real invoices: the first builds its saved lifecycle
# from the chain, the second loads it and replays nothing.
run("wrote 2000 entries" "${CLI}" chain synth --node-db "${DIR}/invoices.db" --entries 2000 --per-block 100 --invoices)
file(WRITE "${DIR}/authority.properties" "node.role = authority\nnode.name = Smoke authority\n"
     "node.listen = 127.0.0.1:18797\nnode.public_url = http://127.0.0.1:18797\nnode.data_dir = ${DIR}/authority\n"
     "node.db = ${DIR}/invoices.db\nnode.key_file = ${DIR}/invoices.db.authority.pem\nnode.region_code = 44\n"
     "http.threads = 4\n")
run("startup to /healthz: .* with 2000 entries" "${CLI}" bench startup --config "${DIR}/authority.properties"
    --log "${DIR}/startup-1.log")
run("startup to /healthz: .* with 2000 entries" "${CLI}" bench startup --config "${DIR}/authority.properties"
    --log "${DIR}/startup-2.log")
file(READ "${DIR}/startup-1.log" first)
file(READ "${DIR}/startup-2.log" second)
if(NOT first MATCHES "lifecycle built at height 0, 2000 entries replayed to height 21" OR
   NOT second MATCHES "lifecycle loaded at height 21, 0 entries replayed")
  message(FATAL_ERROR "the authority's lifecycle was not built and then loaded: ${first} / ${second}")
endif()
# Real nodes for two seconds. The exit status says every acknowledged callback's invoice is
# on the authority's chain exactly once and on both replicas; its speed is not asserted.
run("acknowledged but missing from the chain +0 " "${CLI}" bench e2e --seconds 2 --notifications 3000 --connections 8
    --bound-seconds 0.1 --dir "${DIR}/e2e")
# The same with notifications offered at a fixed rate (open loop).
run("offered at 300/s \\(open loop\\).*acknowledged but missing from the chain +0 " "${CLI}" bench e2e --seconds 2
    --rate 300 --connections 8 --bound-seconds 0.1 --dir "${DIR}/e2e-open")
# An sm2-sm3 network, and the bench modes over an SM2 store.
run("starting an sm2-sm3 network.*acknowledged but missing from the chain +0 " "${CLI}" bench e2e --suite sm2-sm3
    --seconds 2 --notifications 1500 --connections 8 --bound-seconds 0.1 --dir "${DIR}/e2e-sm2")
# An authority group of three over a three-member etcd (Debian's etcd-server).
run("an authority group of three members.*acknowledged but missing from the chain +0 .*held by a majority" "${CLI}"
    bench e2e --group --seconds 2 --notifications 3000 --connections 8 --bound-seconds 0.1 --dir "${DIR}/e2e-group")
run("wrote 1000 entries" "${CLI}" chain synth --node-db "${DIR}/sm2.db" --entries 1000 --per-block 100 --suite sm2-sm3)
run("full verification: 1000 entries" "${CLI}" bench verify --node-db "${DIR}/sm2.db")
run("catch-up of a wiped node: 1000 entries" "${CLI}" bench catchup --node-db "${DIR}/sm2.db")
file(REMOVE_RECURSE "${DIR}")
