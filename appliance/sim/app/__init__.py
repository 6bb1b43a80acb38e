"""The simulated short-video app (package com.zhiliaoapp.musically) behind `AndroidUi`.

`App` (app.py) owns the process state and navigation; one module per group of screens;
render.py turns a screen into uiautomator XML and a PNG. Nothing here imports the product.
"""

from .app import App

__all__ = ["App"]
