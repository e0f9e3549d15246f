"""
The compiler from a procedure definition (the ficha) to BPMN 2.0 with its diagram, and to SVG.

Pure functions of the definition: no database, no engine. The BPMN is what SpiffWorkflow runs
(`mapro.engine.specs` parses it) and what process analysts open in a modeler; the SVG is the same
drawing for documents and web pages.
"""

from .bpmn import compile_bpmn
from .graph import process_id
from .svg import render_svg

__all__ = ["compile_bpmn", "process_id", "render_svg"]
