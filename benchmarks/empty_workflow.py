"""The server's floor: a workflow with one workflow task and no activities.

Its own module so the workflow sandbox re-imports nothing but temporalio.
"""

from temporalio import workflow


@workflow.defn
class EmptyWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None
