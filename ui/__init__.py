"""The Gradio UI (Ask, Find my sub-priority, Alignment check, Browse, Library, Evaluation) over service/.

`ui.app.mount_ui` mounts it in the API's FastAPI app; `python -m ui` serves it alone (`ui.app.standalone_app`,
behind the same guards). Each tab is a module in ui/tabs/. Gradio's analytics are switched off here, before
anything imports gradio.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_RUN_HISTORY", "False")
