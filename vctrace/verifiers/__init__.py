"""Verifiers that judge stored claims (structure, grounding, DTI, DE, pathway) and record
verdicts with provenance. Not built yet: see issue 4. Claims they will judge are already
stored: one ``(:Claim {key})`` per distinct claim, shared by every action asserting it.
"""
