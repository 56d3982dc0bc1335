#!/usr/bin/env python3
"""Write the hand-made fixture pairs of `dbglog compare` (fixtures/compare-*.log).

One transaction, OrderSync.run(): an Account query, a loop over orders with one OrderItem
query each, an Order update, and a call into the managed package `acme` (one query of its
own). The variants differ from compare-before.log only as fixtures/README.md says.
Run from the repository root: python3 scripts/compare-fixtures.py
"""

LEVELS = "APEX_CODE,FINEST;APEX_PROFILING,INFO;CALLOUT,INFO;DB,FINEST;SYSTEM,DEBUG;VALIDATION,INFO;VISUALFORCE,INFO;WORKFLOW,INFO"


def log(orders=4, cpu=120, heap=30000, dml_rows=4, acme_cpu=40, fatal=False,
        levels=LEVELS, skip_loops=0, step=1_000_000):
    t = [1_000_000]
    out = [f"61.0 {levels}"]

    def ev(rest, dt=step):
        t[0] += dt
        ms = t[0] // 1_000_000
        out.append(f"12:00:00.{ms} ({t[0]})|{rest}")

    ev("USER_INFO|[EXTERNAL]|005000000000001|ci@example.com|(GMT+00:00) GMT|GMT+00:00")
    ev("EXECUTION_STARTED")
    ev("CODE_UNIT_STARTED|[EXTERNAL]|01p000000000001|OrderSync.run()")
    ev("METHOD_ENTRY|[1]|01p000000000001|OrderSync.load()")
    ev("SOQL_EXECUTE_BEGIN|[5]|Aggregations:0|SELECT Id, Name FROM Account WHERE Name = 'Acme'")
    ev("SOQL_EXECUTE_END|[5]|Rows:1", 2 * step)
    ev("METHOD_EXIT|[1]|01p000000000001|OrderSync.load()")
    for i in range(orders):
        if skip_loops and i == 1:
            out.append("*** Skipped 4,096 bytes of detailed log")
            t[0] += 10 * step * skip_loops
        if skip_loops and 1 <= i < 1 + skip_loops:
            continue
        ev("STATEMENT_EXECUTE|[9]")
        ev(f"SOQL_EXECUTE_BEGIN|[9]|Aggregations:0|SELECT Id, Quantity FROM OrderItem WHERE OrderId = :tmpVar1")
        ev("SOQL_EXECUTE_END|[9]|Rows:2", 3 * step)
        ev(f"HEAP_ALLOCATE|[9]|Bytes:{100 + i}")
    ev("DML_BEGIN|[12]|Op:Update|Type:Order|Rows:%d" % dml_rows)
    ev("DML_END|[12]", 4 * step)
    ev("ENTERING_MANAGED_PKG|acme")
    ev("METHOD_ENTRY|[14]|01p000000000002|acme.Pricing.quote(List<Id>)")
    ev("SOQL_EXECUTE_BEGIN|[40]|Aggregations:0|SELECT Id FROM acme__Price__c WHERE acme__Code__c IN ('A', 'B', 'C')")
    ev("SOQL_EXECUTE_END|[40]|Rows:3", 2 * step)
    ev("METHOD_EXIT|[14]|01p000000000002|acme.Pricing.quote(List<Id>)", acme_cpu * step // 10)
    if fatal:
        ev("EXCEPTION_THROWN|[16]|System.NullPointerException: Attempt to de-reference a null object")
        ev("FATAL_ERROR|System.NullPointerException: Attempt to de-reference a null object\n\nClass.OrderSync.run: line 16, column 1")
    ev("CUMULATIVE_LIMIT_USAGE")
    ev("LIMIT_USAGE_FOR_NS|(default)|\n"
       f"  Number of SOQL queries: {1 + orders} out of 100\n"
       f"  Number of query rows: {1 + 2 * orders} out of 50000\n"
       "  Number of DML statements: 1 out of 150\n"
       f"  Number of DML rows: {dml_rows} out of 10000\n"
       f"  Maximum CPU time: {cpu} out of 10000\n"
       f"  Maximum heap size: {heap} out of 6000000\n"
       "  Number of callouts: 0 out of 100\n", 0)
    ev("LIMIT_USAGE_FOR_NS|acme|\n"
       "  Number of SOQL queries: 1 out of 100\n"
       "  Number of query rows: 3 out of 50000\n"
       "  Number of DML statements: 0 out of 150\n"
       "  Number of DML rows: 0 out of 10000\n"
       f"  Maximum CPU time: {acme_cpu} out of 10000\n"
       "  Maximum heap size: 2000 out of 6000000\n"
       "  Number of callouts: 0 out of 100\n", 0)
    ev("CUMULATIVE_LIMIT_USAGE_END", 0)
    ev("CODE_UNIT_FINISHED|OrderSync.run()")
    ev("EXECUTION_FINISHED")
    return "\n".join(out) + "\n"


FIXTURES = {
    "compare-before.log": log(),
    # One more order: one more query in the loop, more CPU, heap and DML rows.
    "compare-after.log": log(orders=5, cpu=150, heap=1_230_000, dml_rows=5),
    # The package's CPU time doubled; nothing else.
    "compare-pkgcpu-after.log": log(acme_cpu=80),
    # A new uncaught exception at the end.
    "compare-fatal-after.log": log(fatal=True),
    # Captured with APEX_CODE at DEBUG, and slower.
    "compare-levels-after.log": log(cpu=200, levels=LEVELS.replace("APEX_CODE,FINEST", "APEX_CODE,DEBUG")),
    # compare-after.log with two loop iterations skipped by Salesforce.
    "compare-truncated-after.log": log(orders=5, cpu=150, heap=1_230_000, dml_rows=5, skip_loops=2),
}

if __name__ == "__main__":
    for name, text in FIXTURES.items():
        with open(f"fixtures/{name}", "w") as f:
            f.write(text)
