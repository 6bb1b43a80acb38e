"""The simulated short-video app (com.zhiliaoapp.musically, or the trill package) behind
`AndroidUi`, with the accessibility surface of docs/APP-SURFACE.md.

`App` (app.py, state changes in actions.py) owns the process state and navigation; one module per
group of screens; ids.py the per-build obfuscated ids, strings.py the en/fr strings; render.py
turns a screen into uiautomator XML and a PNG. Everything runs under `AndroidUi`'s lock. Nothing
here imports the product.
"""

from .app import App

__all__ = ["App"]
