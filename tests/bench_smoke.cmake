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
# Real nodes for two seconds. The exit status says every acknowledged callback's invoice is
# on the authority's chain exactly once and on both replicas; its speed is not asserted.
run("acknowledged but missing from the chain +0 " "${CLI}" bench e2e --seconds 2 --notifications 3000 --connections 8
    --bound-seconds 0.1 --dir "${DIR}/e2e")
# The same with notifications offered at a fixed rate (open loop).
run("offered at 300/s \\(open loop\\).*acknowledged but missing from the chain +0 " "${CLI}" bench e2e --seconds 2
    --rate 300 --connections 8 --bound-seconds 0.1 --dir "${DIR}/e2e-open")
file(REMOVE_RECURSE "${DIR}")
