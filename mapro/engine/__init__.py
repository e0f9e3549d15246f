"""
The execution kernel: the only package of mapro that imports SpiffWorkflow.

Everything else sees procedures as definitions and compiled BPMN, and cases as rows. `specs.py` turns
compiled BPMN into process specs and new workflows; `runtime.py` loads, advances and saves them.
"""
