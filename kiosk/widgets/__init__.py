"""Reusable Kivy widgets: the camera picture with skeleton, progress ring, movement chart."""
