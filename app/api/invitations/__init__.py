"""Invitations to maintain a project: the project's side and the invitee's side."""
