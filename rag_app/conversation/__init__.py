"""Conversations: follow-up questions resolved into what to search for, and chats kept per person."""
