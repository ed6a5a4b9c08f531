"""Tools for checking and seeing: ``gradcheck`` (a Function's backward against finite differences), the computation
graph behind a tensor as DOT or a picture, plots of training and evaluation, and matplotlib imported only when a
picture is asked for.
"""
